"""Summaries of performance samples: mean ± standard error, median, extremes, percentiles."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy

# A percentile is only shown once there are enough samples for it to mean something.
PERCENTILE_MIN_SAMPLES: Mapping[int, int] = {1: 100, 10: 10, 90: 10, 99: 100}
_NUMPY_FROM = 64  # samples in a row: below this, pure Python is faster
_FEWEST = min(PERCENTILE_MIN_SAMPLES.values())


@dataclass(frozen=True)
class Summary:
    count: int
    mean: float
    standard_error: float
    median: float
    minimum: float
    maximum: float
    percentiles: Mapping[int, float]

    def scaled(self, factor: float) -> Summary:
        """The same summary in another unit (every value multiplied by `factor`)."""
        return Summary(
            count=self.count,
            mean=self.mean * factor,
            standard_error=self.standard_error * factor,
            median=self.median * factor,
            minimum=self.minimum * factor,
            maximum=self.maximum * factor,
            percentiles={p: v * factor for p, v in self.percentiles.items()},
        )


def summarise(values: Sequence[float]) -> Summary | None:
    """None for no values. Standard error uses the population deviation (ddof=0)."""
    if not values:
        return None
    ordered, mean, variance_sum = _ordered_and_squares(values)
    count = len(ordered)
    variance = variance_sum / count
    return Summary(
        count=count,
        mean=mean,
        standard_error=math.sqrt(variance / count),
        median=percentile(ordered, 50),
        minimum=ordered[0],
        maximum=ordered[-1],
        percentiles=_percentiles(ordered),
    )


def scaled_summary(
    values: Sequence[float], factor_of: Callable[[float], float]
) -> tuple[Summary, float] | None:
    """`summarise(values).scaled(factor)` for the factor `factor_of(mean)` (a unit chosen
    by the mean), made at once: the same numbers, one summary instead of two."""
    if not values:
        return None
    ordered, mean, variance_sum = _ordered_and_squares(values)
    count = len(ordered)
    factor = factor_of(mean)
    summary = Summary(
        count=count,
        mean=mean * factor,
        standard_error=math.sqrt(variance_sum / count / count) * factor,
        median=percentile(ordered, 50) * factor,
        minimum=ordered[0] * factor,
        maximum=ordered[-1] * factor,
        percentiles={p: v * factor for p, v in _percentiles(ordered).items()},
    )
    return summary, factor


def _percentiles(ordered: Sequence[float]) -> dict[int, float]:
    count = len(ordered)
    if count < _FEWEST:
        return {}
    return {p: percentile(ordered, p) for p, n in PERCENTILE_MIN_SAMPLES.items() if count >= n}


def _ordered_and_squares(values: Sequence[float]) -> tuple[list[float], float, float]:
    """The values sorted, their mean, and the sum of their squared deviations from it.

    Plain sums: the samples are integers of microseconds, exact far beyond a ring of 256.
    A long row of integers is sorted and squared by numpy (a ring of 256 samples several
    times faster), giving the very same numbers: the squares by `float_power` (the C
    library's pow, as Python's `**`), summed by Python's `sum` in the same order. Rows of
    a few samples stay in pure Python, where numpy's cost per call would lose.
    """
    if len(values) >= _NUMPY_FROM:
        array = numpy.array(values)
        if array.dtype == numpy.int64:
            array.sort()
            ordered: list[float] = array.tolist()
            mean = sum(ordered) / len(ordered)
            return ordered, mean, sum(numpy.float_power(array - mean, 2.0).tolist())
    ordered = sorted(values)
    mean = sum(ordered) / len(ordered)
    return ordered, mean, sum((v - mean) ** 2 for v in ordered)


def percentile(ordered: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
