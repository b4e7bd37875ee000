"""The run's time span, shared by every chart of the HTML report so that they line up."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

# Round steps between time ticks, in seconds; beyond a day, whole days.
_TIME_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)


@dataclass(frozen=True)
class TimeAxis:
    """The run's time span, shared by every chart so that they line up."""

    start: datetime
    offsets: tuple[float, ...]  # of each snapshot, seconds since the first
    low: float
    high: float

    @classmethod
    def of(cls, times: Sequence[datetime]) -> TimeAxis:
        offsets = tuple((t - times[0]).total_seconds() for t in times)
        first, last = min(offsets), max(offsets)
        pad = (last - first) * 0.02 if last > first else 1.0
        return cls(times[0], offsets, first - pad, last + pad)

    def fraction(self, index: int) -> float:
        return (self.offsets[index] - self.low) / (self.high - self.low)

    def ticks(self, most: int) -> list[tuple[float, str]]:
        """(fraction, clock time) at round times, at most `most` of them."""
        span = self.high - self.low
        step = next((s for s in _TIME_STEPS_S if span / s <= most), None)
        step = step or 86400 * math.ceil(span / 86400 / most)
        midnight = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        base = (self.start - midnight).total_seconds()
        fmt = "%H:%M:%S" if step < 60 else ("%H:%M" if step < 86400 else "%d %b")
        first = math.ceil((base + self.low) / step) * step
        count = int((base + self.high - first) // step) + 1
        return [
            ((first + i * step - base - self.low) / span, _clock(midnight, first + i * step, fmt))
            for i in range(max(count, 0))
        ]

    def time_text(self, index: int) -> str:
        return (self.start + timedelta(seconds=self.offsets[index])).strftime("%H:%M:%S")


def _clock(midnight: datetime, seconds: float, fmt: str) -> str:
    return (midnight + timedelta(seconds=seconds)).strftime(fmt)
