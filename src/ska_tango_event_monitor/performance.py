"""The `--monitor` tables: performance samples of one reply summarised row by row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from ska_tango_event_monitor.model import PublisherSample, SubscriberSample
from ska_tango_event_monitor.statistics import Summary, summarise
from ska_tango_event_monitor.streams import same_attribute

# cppTango keeps the most recent samples in a ring of this size; a full ring lost older ones.
SAMPLE_RING_SIZE = 256

_UNITS = (("μs", 1.0), ("ms", 1e-3), ("s", 1e-6))

S = TypeVar("S")


@dataclass(frozen=True)
class PerformanceRow:
    label: str
    unit: str | None
    summary: Summary
    # a processing-time row covers every subscribed stream of its attribute name: cppTango's
    # samples carry the attribute name only, not the device
    streams: int = 1

    @property
    def title(self) -> str:
        shared = f" ({self.streams} streams)" if self.streams > 1 else ""
        return self.label + shared + ("" if self.unit is None else f" [{self.unit}]")


@dataclass(frozen=True)
class PerformanceTable:
    rows: tuple[PerformanceRow, ...]
    sample_count: int

    @property
    def shared_rows(self) -> bool:
        """Some processing-time row mixes the streams of several devices."""
        return any(row.streams > 1 for row in self.rows)

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
    gaps, push_times = zip(*samples, strict=True)  # columns of the named tuples
    return _table(samples, timing_row("Event Gaps", gaps), timing_row("Push Time", push_times))


def subscriber_table(
    samples: Sequence[SubscriberSample] | None, topics: Iterable[str] = ()
) -> PerformanceTable | None:
    """Client performance; discarded events are left out of the timing rows. `topics`, the
    subscriptions of the process, tell how many streams each processing-time row covers."""
    if not samples:
        return None
    every = SubscriberSample(*zip(*samples, strict=True))  # columns of the named tuples
    processed = [s for s in samples if not s.discarded]
    timing = SubscriberSample(*zip(*processed, strict=True)) if processed else None
    rows = [
        *(
            timing_row(label, getattr(timing, column))
            for label, column in _TIMING_ROWS
            if timing is not None
        ),
        count_row("Callbacks called", every.callback_count),
        count_row("Wake Count", every.wake_count),
    ]
    by_attribute: dict[str, list[int]] = defaultdict(list)
    for sample in processed:
        by_attribute[sample.attr_name].append(sample.process_micros)
    topics = tuple(topics)
    for attr_name in sorted(by_attribute):
        row = timing_row(f"{attr_name} Processing Time", by_attribute[attr_name])
        streams = sum(same_attribute(topic, attr_name) for topic in topics)
        rows.append(row if row is None or streams <= 1 else replace(row, streams=streams))
    return _table(samples, *rows)


_TIMING_ROWS = (
    ("Event Gaps", "micros_since_last_event"),
    ("Sleep Time", "sleep_micros"),
    ("Latency", "first_callback_latency_micros"),
)


def _table(samples: Sequence[object], *rows: PerformanceRow | None) -> PerformanceTable:
    return PerformanceTable(tuple(row for row in rows if row is not None), len(samples))
