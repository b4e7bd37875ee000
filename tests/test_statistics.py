"""Sample summaries checked against numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ska_tango_event_monitor.core.statistics import Summary, percentile, summarise

LISTS = {
    "ten": [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 6.0, 10.0],
    "skewed_eleven": [1, 1, 1, 2, 2, 3, 5, 8, 13, 21, 300_000],
    "hundred": [((i * 37) % 101) * 1.5 + 0.25 for i in range(100)],
    "two_hundred_fifty_six": [float((i * 7919) % 1000) for i in range(256)],
    "three": [300693.0, 300611.0, 300616.0],
    "nine": [9, 8, 7, 6, 5, 4, 3, 2, 1],
    "ninety_nine": list(range(99, 0, -1)),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_summary_matches_numpy(name: str) -> None:
    values = LISTS[name]
    array = np.asarray(values, dtype=float)
    summary = summarise(values)

    assert summary is not None
    assert summary.count == len(values)
    assert summary.mean == pytest.approx(np.mean(array))
    assert summary.standard_error == pytest.approx(np.std(array, ddof=0) / math.sqrt(len(values)))
    assert summary.median == pytest.approx(np.median(array))
    assert summary.minimum == np.min(array)
    assert summary.maximum == np.max(array)
    expected_percentiles = [
        p for p, n in ((1, 100), (10, 10), (90, 10), (99, 100)) if len(values) >= n
    ]
    assert sorted(summary.percentiles) == expected_percentiles
    for p in expected_percentiles:
        assert summary.percentiles[p] == pytest.approx(np.percentile(array, p)), p


@pytest.mark.parametrize(
    ("count", "shown"),
    [(1, set()), (9, set()), (10, {10, 90}), (99, {10, 90}), (100, {1, 10, 90, 99})],
)
def test_percentiles_need_enough_samples(count: int, shown: set[int]) -> None:
    summary = summarise(list(range(count)))
    assert summary is not None
    assert set(summary.percentiles) == shown


def test_empty_gives_none() -> None:
    assert summarise([]) is None
    assert summarise(()) is None


def test_single_value() -> None:
    summary = summarise([42.5])
    assert summary == Summary(
        count=1,
        mean=42.5,
        standard_error=0.0,
        median=42.5,
        minimum=42.5,
        maximum=42.5,
        percentiles={},
    )


def test_identical_values_have_no_error() -> None:
    summary = summarise([7] * 20)
    assert summary is not None
    assert summary.standard_error == 0
    assert summary.percentiles == {10: 7, 90: 7}


def test_input_order_does_not_matter() -> None:
    values = LISTS["hundred"]
    assert summarise(values) == summarise(sorted(values)) == summarise(values[::-1])


def test_input_is_not_modified() -> None:
    values = [3, 1, 2]
    summarise(values)
    assert values == [3, 1, 2]


def test_percentile_function_matches_numpy_linear() -> None:
    ordered = sorted(LISTS["skewed_eleven"])
    for p in (0, 1, 25, 33.3, 50, 75, 99, 100):
        assert percentile(ordered, p) == pytest.approx(np.percentile(ordered, p)), p


def test_scaled() -> None:
    summary = summarise(LISTS["hundred"])
    assert summary is not None
    scaled = summary.scaled(1e-3)

    assert scaled.count == summary.count
    for field in ("mean", "standard_error", "median", "minimum", "maximum"):
        assert getattr(scaled, field) == pytest.approx(getattr(summary, field) * 1e-3), field
    assert set(scaled.percentiles) == set(summary.percentiles)
    for p, value in summary.percentiles.items():
        assert scaled.percentiles[p] == pytest.approx(value * 1e-3)
    # the original is untouched
    assert summary == summarise(LISTS["hundred"])
    assert summary.scaled(1.0) == summary
