"""The --monitor tables built from performance samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ska_tango_event_monitor.core.model import PublisherSample, SubscriberSample
from ska_tango_event_monitor.core.parse import parse_reply
from ska_tango_event_monitor.core.performance import (
    SAMPLE_RING_SIZE,
    PerformanceRow,
    PerformanceTable,
    count_row,
    publisher_table,
    subscriber_table,
    timing_row,
)
from ska_tango_event_monitor.outputs.text import table_section


def sample(
    attr_name: str = "value",
    gap: int | None = 1000,
    sleep: int = 500,
    process: int = 200,
    latency: int | None = 300,
    callbacks: int = 1,
    wakes: int = 1,
    discarded: bool = False,
) -> SubscriberSample:
    return SubscriberSample(
        attr_name=attr_name,
        micros_since_last_event=gap,
        sleep_micros=sleep,
        process_micros=process,
        first_callback_latency_micros=latency,
        callback_count=callbacks,
        wake_count=wakes,
        discarded=discarded,
    )


def row(table: PerformanceTable, label: str) -> PerformanceRow:
    [found] = [r for r in table.rows if r.label == label]
    return found


@pytest.mark.parametrize(
    ("micros", "unit", "shown"),
    [
        (1.0, "μs", 1.0),
        (999.0, "μs", 999.0),
        (999.999, "μs", 999.999),
        (1000.0, "ms", 1.0),
        (1500.0, "ms", 1.5),
        (300_000.0, "ms", 300.0),
        (999_999.0, "ms", 999.999),
        (1_000_000.0, "s", 1.0),
        (13_248_191.0, "s", 13.248191),
    ],
)
def test_unit_follows_the_mean(micros: float, unit: str, shown: float) -> None:
    result = timing_row("Gap", [micros])
    assert result is not None
    assert result.unit == unit
    assert result.title == f"Gap [{unit}]"
    assert result.summary.mean == pytest.approx(shown)


def test_unit_is_chosen_by_mean_and_every_value_is_scaled() -> None:
    # the mean is 1100 μs (ms) although most values are below 1000 μs
    values = [100.0, 200.0, 300.0, 400.0, 4500.0]
    result = timing_row("Gap", values)
    assert result is not None and result.unit == "ms"
    summary = result.summary
    assert summary.mean == pytest.approx(1.1)
    assert summary.minimum == pytest.approx(0.1)
    assert summary.maximum == pytest.approx(4.5)
    assert summary.median == pytest.approx(0.3)
    assert summary.standard_error == pytest.approx(np.std(values) / np.sqrt(5) / 1000)
    assert summary.count == 5  # counts are not scaled


def test_timing_row_skips_none_and_needs_a_value() -> None:
    result = timing_row("Gap", [None, 10.0, None, 30.0])
    assert result is not None and result.summary.count == 2
    assert result.summary.mean == 20.0
    assert timing_row("Gap", [None, None]) is None
    assert timing_row("Gap", []) is None


def test_count_row_has_no_unit() -> None:
    result = count_row("Wake Count", [1, 9, 2])
    assert result is not None
    assert result.unit is None and result.title == "Wake Count"
    assert (result.summary.minimum, result.summary.maximum) == (1, 9)
    assert count_row("Wake Count", []) is None


def test_subscriber_row_order() -> None:
    samples = [
        sample("zeta", process=10),
        sample("alpha", process=20),
        sample("mode", process=30),
        sample("alpha", process=40),
    ]
    table = subscriber_table(samples)
    assert table is not None
    assert [r.label for r in table.rows] == [
        "Event Gaps",
        "Sleep Time",
        "Latency",
        "Callbacks called",
        "Wake Count",
        "alpha Processing Time",
        "mode Processing Time",
        "zeta Processing Time",
    ]
    assert row(table, "alpha Processing Time").summary.mean == 30.0
    assert row(table, "alpha Processing Time").summary.count == 2
    assert row(table, "zeta Processing Time").summary.count == 1
    assert table.sample_count == 4


def test_discarded_samples_only_count_in_callbacks_and_wakes() -> None:
    samples = [
        sample("value", gap=1000, sleep=100, process=50, latency=300, callbacks=1, wakes=1),
        sample("value", gap=3000, sleep=300, process=70, latency=500, callbacks=2, wakes=3),
        # a discarded event: huge timings that must not show up in the timing rows
        sample("", gap=900_000, sleep=900_000, process=900_000, latency=None, callbacks=0,
               wakes=8, discarded=True),
    ]  # fmt: skip
    table = subscriber_table(samples)
    assert table is not None

    assert row(table, "Event Gaps").summary.count == 2
    assert row(table, "Event Gaps").summary.mean == pytest.approx(2.0)  # ms
    assert row(table, "Sleep Time").summary.maximum == 300
    assert row(table, "Latency").summary.count == 2
    assert row(table, "value Processing Time").summary.maximum == 70
    assert " Processing Time" not in {r.label for r in table.rows}  # no row for attr_name ""
    callbacks = row(table, "Callbacks called").summary
    wakes = row(table, "Wake Count").summary
    assert (callbacks.count, callbacks.minimum, callbacks.maximum) == (3, 0, 2)
    assert (wakes.count, wakes.maximum) == (3, 8)
    assert table.sample_count == 3


def test_only_discarded_samples_leave_just_the_counts() -> None:
    table = subscriber_table([sample("", latency=None, callbacks=0, discarded=True)])
    assert table is not None
    assert [r.label for r in table.rows] == ["Callbacks called", "Wake Count"]


def test_null_gap_and_null_latency_are_skipped() -> None:
    samples = [
        sample(gap=None, latency=None),
        sample(gap=2000, latency=4000),
        sample(gap=4000, latency=None),
    ]
    table = subscriber_table(samples)
    assert table is not None
    gaps, latency = row(table, "Event Gaps"), row(table, "Latency")
    assert (gaps.summary.count, gaps.unit, gaps.summary.mean) == (2, "ms", pytest.approx(3.0))
    assert (latency.summary.count, latency.unit, latency.summary.mean) == (1, "ms", 4.0)
    assert row(table, "Sleep Time").summary.count == 3


def test_all_gaps_null_leaves_the_row_out() -> None:
    table = subscriber_table([sample(gap=None)])
    assert table is not None
    assert "Event Gaps" not in [r.label for r in table.rows]


def test_publisher_table() -> None:
    samples = [
        PublisherSample(None, 40),
        PublisherSample(100_000, 60),
        PublisherSample(300_000, 80),
    ]
    table = publisher_table(samples)
    assert table is not None
    assert [r.title for r in table.rows] == ["Event Gaps [ms]", "Push Time [μs]"]
    assert row(table, "Event Gaps").summary.count == 2
    assert row(table, "Event Gaps").summary.mean == pytest.approx(200.0)
    assert row(table, "Push Time").summary.mean == pytest.approx(60.0)
    assert table.sample_count == 3 and not table.ring_full


@pytest.mark.parametrize(("count", "full"), [(1, False), (255, False), (256, True)])
def test_ring_full_exactly_at_256_samples(count: int, full: bool) -> None:
    assert SAMPLE_RING_SIZE == 256
    publisher = publisher_table([PublisherSample(1, 1)] * count)
    subscriber = subscriber_table([sample()] * count)
    assert publisher is not None and subscriber is not None
    assert publisher.ring_full is full
    assert subscriber.ring_full is full
    assert publisher.sample_count == subscriber.sample_count == count


def test_ring_full_counts_discarded_samples() -> None:
    samples = [sample()] * 255 + [sample("", latency=None, discarded=True)]
    table = subscriber_table(samples)
    assert table is not None and table.ring_full


@pytest.mark.parametrize("samples", [None, (), []])
def test_no_samples_no_table(samples) -> None:
    assert publisher_table(samples) is None
    assert subscriber_table(samples) is None


def recorded_samples(path: Path, admin: str, side: str) -> list:
    samples: list = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            for entry in json.loads(line)["servers"]:
                if entry["admin"] == admin:
                    state = parse_reply(entry["reply"])
                    got = state.subscriber_samples if side == "client" else state.publisher_samples
                    samples.extend(got or ())
    return samples


def test_recorded_slow_callback_shows_300_ms_processing(recorded_scan: Path) -> None:
    samples = recorded_samples(recorded_scan, "dserver/MyServer/top", "client")
    table = subscriber_table(samples)
    assert table is not None

    position = row(table, "position Processing Time")
    # the rogue delay: every position callback sleeps 0.3 s
    assert position.unit == "ms"
    assert position.summary.mean == pytest.approx(300, abs=5)
    assert 299 < position.summary.minimum <= position.summary.maximum < 310
    assert row(table, "mode Processing Time").unit == "μs"
    # the slow callback holds every later event back: latency grows to seconds
    latency = row(table, "Latency")
    assert latency.unit == "s"
    assert latency.summary.maximum > 3
    assert row(table, "Callbacks called").summary.count == len(samples) == 20
    assert [r.label for r in table.rows][-2:] == [
        "mode Processing Time",
        "position Processing Time",
    ]
    assert not table.ring_full


def test_recorded_publisher_pushes_every_100_ms(recorded_scan: Path) -> None:
    samples = recorded_samples(recorded_scan, "dserver/MyServer/hw", "server")
    table = publisher_table(samples)
    assert table is not None
    gaps = row(table, "Event Gaps")
    assert gaps.unit == "ms"
    assert gaps.summary.median == pytest.approx(100, abs=5)
    assert row(table, "Push Time").unit == "μs"


def test_a_processing_time_row_says_how_many_streams_share_its_name() -> None:
    """cppTango's samples carry the attribute name only: `state` of six devices is one row."""
    host = "tango://127.0.0.1:10000/"
    topics = [f"{host}sys/motor/{i}/state.idl5_change" for i in range(6)] + [
        f"{host}sys/motor/1/position.idl5_change",
        f"{host}sys/ct/1/averylongattributenamethatcppcuts.idl5_change",
    ]
    samples = [sample("state"), sample("position"), sample("averylongattributenamethatcppcu")]
    table = subscriber_table(samples, topics)
    assert table is not None
    shared = {r.label: (r.streams, r.title) for r in table.rows if "Processing" in r.label}
    assert shared == {
        "averylongattributenamethatcppcu Processing Time": (
            1,
            "averylongattributenamethatcppcu Processing Time [μs]",
        ),
        "position Processing Time": (1, "position Processing Time [μs]"),
        "state Processing Time": (6, "state Processing Time (6 streams) [μs]"),
    }
    assert table.shared_rows
    lines = render_table_section(table)
    assert lines[-1] == (
        "  note: a Processing Time row covers every subscribed stream of that attribute name "
        "in this process (the samples name the attribute, not the device)"
    )
    # one stream per name: no note, the tutorial's tables stay as they are
    single = subscriber_table([sample("state")], topics[:1])
    assert single is not None and not single.shared_rows
    assert "note:" not in "\n".join(render_table_section(single))


def render_table_section(table: PerformanceTable) -> list[str]:
    return table_section("Client performance", table)
