"""The `--monitor` tables: performance samples of one reply summarised row by row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from ska_tango_event_monitor.core.model import (
    PublisherColumns,
    PublisherSample,
    SubscriberColumns,
    SubscriberSample,
)
from ska_tango_event_monitor.core.statistics import Summary, scaled_summary, summarise
from ska_tango_event_monitor.core.streams import attribute_counts, sampled_streams

# cppTango keeps the most recent samples in a ring of this size; a full ring lost older ones.
SAMPLE_RING_SIZE = 256

_UNITS = (("μs", 1.0), ("ms", 1e-3), ("s", 1e-6))
_UNIT_OF = {factor: unit for unit, factor in _UNITS}

S = TypeVar("S")


@dataclass(frozen=True)
class PerformanceRow:
    """One row of a `--monitor` table: its numbers in `unit`, and what they are as data, so
    that charts and exporters never read the label."""

    label: str
    unit: str | None
    summary: Summary
    # a processing-time row covers every subscribed stream of its attribute name: cppTango's
    # samples carry the attribute name only, not the device
    streams: int = 1
    column: str = field(default="", metadata={"export": False})  # a `*Columns` field
    attribute: str | None = field(default=None, metadata={"export": False})  # processing time
    seconds_per_unit: float | None = field(
        default=None, metadata={"export": False}
    )  # None: a count

    @property
    def title(self) -> str:
        shared = f" ({self.streams} streams)" if self.streams > 1 else ""
        return self.label + shared + ("" if self.unit is None else f" [{self.unit}]")

    def in_seconds(self, value: float) -> float:
        """A value of this timing row in seconds."""
        assert self.seconds_per_unit is not None, f"{self.label} is a count"
        return value * self.seconds_per_unit


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


def timing_row(
    label: str,
    micros: Iterable[float | None],
    column: str = "",
    attribute: str | None = None,
    streams: int = 1,
) -> PerformanceRow | None:
    """A row of durations given in microseconds, shown in the unit that suits the mean."""
    # the columns have their nulls left out already: no copy then
    values = micros if isinstance(micros, list) and None not in micros else None
    made = scaled_summary(values or [v for v in micros if v is not None], _unit_factor)
    if made is None:
        return None
    summary, factor = made
    return PerformanceRow(
        label, _UNIT_OF[factor], summary, streams, column, attribute, 1e-6 / factor
    )


def _unit_factor(mean: float) -> float:
    return next((factor for _, factor in _UNITS if mean * factor < 1000), _UNITS[-1][1])


def count_row(label: str, values: Iterable[float], column: str = "") -> PerformanceRow | None:
    summary = summarise(list(values))
    return None if summary is None else PerformanceRow(label, None, summary, column=column)


class ServerColumns(NamedTuple):
    """The publisher samples' durations (µs) as the Server performance rows take them."""

    event_gaps: list[int]  # the first push has no gap: left out
    push_time: list[int]


class ClientColumns(NamedTuple):
    """The subscriber samples as the Client performance rows take them: discarded events
    are left out of the durations (they count in the callbacks and wakes only)."""

    event_gaps: list[int]
    sleep_time: list[int]
    latency: list[int]
    callbacks_called: list[int]
    wake_count: list[int]
    processing_time: dict[str, list[int]]  # by attribute name, sorted


def server_columns(samples: Sequence[PublisherSample] | PublisherColumns) -> ServerColumns:
    columns = samples if isinstance(samples, PublisherColumns) else PublisherColumns.of(samples)
    return ServerColumns(
        [gap for gap in columns.micros_since_last_event if gap is not None],
        list(columns.push_event_micros),
    )


def client_columns(samples: Sequence[SubscriberSample] | SubscriberColumns) -> ClientColumns:
    every = samples if isinstance(samples, SubscriberColumns) else SubscriberColumns.of(samples)
    done = every.processed()
    by_attribute: dict[str, list[int]] = defaultdict(list)
    for name, micros in zip(done.attr_name, done.process_micros, strict=True):
        by_attribute[name].append(micros)
    return ClientColumns(
        event_gaps=[gap for gap in done.micros_since_last_event if gap is not None],
        sleep_time=list(done.sleep_micros),
        latency=[late for late in done.first_callback_latency_micros if late is not None],
        callbacks_called=list(every.callback_count),
        wake_count=list(every.wake_count),
        processing_time={name: by_attribute[name] for name in sorted(by_attribute)},
    )


def publisher_table(
    samples: Sequence[PublisherSample] | PublisherColumns | None,
) -> PerformanceTable | None:
    """Server performance: Event Gaps and Push Time."""
    if samples is None or not _count(samples):
        return None
    columns = server_columns(samples)
    return _table(
        _count(samples),
        timing_row("Event Gaps", columns.event_gaps, "event_gaps"),
        timing_row("Push Time", columns.push_time, "push_time"),
    )


def subscriber_table(
    samples: Sequence[SubscriberSample] | SubscriberColumns | None, topics: Iterable[str] = ()
) -> PerformanceTable | None:
    """Client performance; discarded events are left out of the timing rows. `topics`, the
    subscriptions of the process, tell how many streams each processing-time row covers."""
    if samples is None or not _count(samples):
        return None
    columns = client_columns(samples)
    rows = [
        timing_row("Event Gaps", columns.event_gaps, "event_gaps"),
        timing_row("Sleep Time", columns.sleep_time, "sleep_time"),
        timing_row("Latency", columns.latency, "latency"),
        count_row("Callbacks called", columns.callbacks_called, "callbacks_called"),
        count_row("Wake Count", columns.wake_count, "wake_count"),
    ]
    counts = attribute_counts(topics)  # each topic's attribute named once, not once per row
    for name, micros in columns.processing_time.items():
        streams = max(sampled_streams(counts, name), 1)
        label = f"{name} Processing Time"
        rows.append(timing_row(label, micros, "processing_time", name, streams))
    return _table(_count(samples), *rows)


def _count(samples: Sequence[object] | PublisherColumns | SubscriberColumns) -> int:
    if isinstance(samples, (PublisherColumns, SubscriberColumns)):
        return samples.sample_count
    return len(samples)


def _table(sample_count: int, *rows: PerformanceRow | None) -> PerformanceTable:
    return PerformanceTable(tuple(row for row in rows if row is not None), sample_count)
