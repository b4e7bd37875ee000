"""Summaries of performance samples: mean ± standard error, median, extremes, percentiles."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A percentile is only shown once there are enough samples for it to mean something.
PERCENTILE_MIN_SAMPLES: Mapping[int, int] = {1: 100, 10: 10, 90: 10, 99: 100}


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
    ordered = sorted(values)
    count = len(ordered)
    # plain sums: the samples are integers of microseconds, exact far beyond a ring of 256
    mean = sum(ordered) / count
    variance = sum((v - mean) ** 2 for v in ordered) / count
    return Summary(
        count=count,
        mean=mean,
        standard_error=math.sqrt(variance / count),
        median=percentile(ordered, 50),
        minimum=ordered[0],
        maximum=ordered[-1],
        percentiles={
            p: percentile(ordered, p)
            for p, needed in PERCENTILE_MIN_SAMPLES.items()
            if count >= needed
        },
    )


def percentile(ordered: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default method)."""
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
