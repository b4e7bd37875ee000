"""The `--monitor` tables: performance samples of one reply summarised row by row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ska_tango_event_monitor.model import PublisherSample, SubscriberSample
from ska_tango_event_monitor.statistics import Summary, summarise

# cppTango keeps the most recent samples in a ring of this size; a full ring lost older ones.
SAMPLE_RING_SIZE = 256

_UNITS = (("μs", 1.0), ("ms", 1e-3), ("s", 1e-6))

S = TypeVar("S")


@dataclass(frozen=True)
class PerformanceRow:
    label: str
    unit: str | None
    summary: Summary

    @property
    def title(self) -> str:
        return self.label if self.unit is None else f"{self.label} [{self.unit}]"


@dataclass(frozen=True)
class PerformanceTable:
    rows: tuple[PerformanceRow, ...]
    sample_count: int

    @property
    def ring_full(self) -> bool:
        """The reply carried a full ring: samples older than these were lost."""
        return self.sample_count >= SAMPLE_RING_SIZE


def timing_row(label: str, micros: Iterable[float | None]) -> PerformanceRow | None:
    """A row of durations given in microseconds, shown in the unit that suits the mean."""
    summary = summarise([v for v in micros if v is not None])
    if summary is None:
        return None
    unit, factor = next(
        ((unit, factor) for unit, factor in _UNITS if summary.mean * factor < 1000), _UNITS[-1]
    )
    return PerformanceRow(label, unit, summary.scaled(factor))


def count_row(label: str, values: Iterable[float]) -> PerformanceRow | None:
    summary = summarise(list(values))
    return None if summary is None else PerformanceRow(label, None, summary)


def publisher_table(samples: Sequence[PublisherSample] | None) -> PerformanceTable | None:
    """Server performance: Event Gaps and Push Time."""
    if not samples:
        return None
    return _table(
        samples,
        timing_row("Event Gaps", _values(samples, lambda s: s.micros_since_last_event)),
        timing_row("Push Time", _values(samples, lambda s: s.push_event_micros)),
    )


def subscriber_table(samples: Sequence[SubscriberSample] | None) -> PerformanceTable | None:
    """Client performance; discarded events are left out of the timing rows."""
    if not samples:
        return None
    processed = [s for s in samples if not s.discarded]
    rows = [
        timing_row("Event Gaps", _values(processed, lambda s: s.micros_since_last_event)),
        timing_row("Sleep Time", _values(processed, lambda s: s.sleep_micros)),
        timing_row("Latency", _values(processed, lambda s: s.first_callback_latency_micros)),
        count_row("Callbacks called", _values(samples, lambda s: s.callback_count)),
        count_row("Wake Count", _values(samples, lambda s: s.wake_count)),
    ]
    for attr_name in sorted({s.attr_name for s in processed}):
        of_attr = [s for s in processed if s.attr_name == attr_name]
        label = f"{attr_name} Processing Time"
        rows.append(timing_row(label, _values(of_attr, lambda s: s.process_micros)))
    return _table(samples, *rows)


def _values(samples: Iterable[S], get: Callable[[S], float | None]) -> list[float | None]:
    return [get(sample) for sample in samples]


def _table(samples: Sequence[object], *rows: PerformanceRow | None) -> PerformanceTable:
    return PerformanceTable(tuple(row for row in rows if row is not None), len(samples))
