"""What the rules produce: findings with a severity, the thresholds they use, an analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

from ska_tango_event_monitor.core.findings.judged import Unjudged
from ska_tango_event_monitor.core.flow import Backlog, StreamRate
from ska_tango_event_monitor.core.health import StreamHealth
from ska_tango_event_monitor.core.streams import stream_key


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Finding:
    severity: Severity
    kind: str
    server: str  # admin device, short
    stream: str | None  # attribute (and event type), short
    message: str  # the evidence, in numbers
    # how bad, within one kind (events behind, seconds of latency, events lost, ...): the
    # summary of a run shows the worst finding of each kind, server and stream
    magnitude: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class Thresholds:
    backlog_events: int = 5  # a backlog this large, seen in two polls in a row
    busy_fraction: float = 0.8  # event thread processing this share of the wall time
    latency_s: float = 1.0  # 90th percentile of the callback latency
    wake_count: float = 2.0  # median wakes per event: subscription churn
    min_samples: int = 10  # fewer samples than this say too little about churn
    window_s: float = 30.0  # seconds of polls the rules judge over (at least the last two)


class Resubscription(NamedTuple):
    """When a subscription was last re-subscribed by cppTango's keep-alive."""

    server: str  # admin device, short
    topic: str
    last_resubscribed: str | None  # the subscriber's local time, as it reports it
    unchanged_s: float  # how long the monitor has seen that value (its own clock)


@dataclass(frozen=True)
class Analysis:
    pushed_rates: tuple[StreamRate, ...] = ()
    processed_rates: tuple[StreamRate, ...] = ()
    backlogs: tuple[Backlog, ...] = ()
    findings: tuple[Finding, ...] = ()
    unjudged: tuple[Unjudged, ...] = ()  # checks that could not be made, and why
    resubscriptions: tuple[Resubscription, ...] = ()  # keep-alive, per subscription
    health: tuple[StreamHealth, ...] = ()  # lag and verdict, per subscription joined


def stream_label(name: str) -> str:
    """`foo/bar/hw/position.change` for either side of the stream."""
    return stream_key(name)
