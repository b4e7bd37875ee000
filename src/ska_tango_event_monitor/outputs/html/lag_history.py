"""The lag of each stream a subscriber receives, snapshot by snapshot, as the report plots it.

Pure: read from `SnapshotReport.health` (the analyser's `StreamHealth.lag_s`, never
recomputed here). A snapshot where the lag is unknown, or the stream was not joined to its
publisher, has no point: a gap. Verdicts are kept only where they change, so memory grows
with the points plotted, not with the reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ska_tango_event_monitor.core.health import StreamHealth
from ska_tango_event_monitor.outputs.html.series import Series


@dataclass(frozen=True)
class VerdictChange:
    """A stream's verdict from this snapshot on (`None`: not judged)."""

    index: int
    verdict: str | None
    reason: str


@dataclass
class StreamLag:
    """One stream of one subscriber: its lag in seconds, and how it was judged."""

    publisher: str  # admin device
    lag: Series = field(default_factory=Series)  # s
    at_least: set[int] = field(default_factory=set)  # snapshots: older than the history kept
    changes: list[VerdictChange] = field(default_factory=list)

    def add(self, index: int, health: StreamHealth) -> None:
        self.publisher = health.publisher
        if health.lag_s is not None:
            self.lag.add(index, health.lag_s)
            if health.lag_at_least:
                self.at_least.add(index)
        verdict = None if health.verdict is None else str(health.verdict)
        last = self.changes[-1].verdict if self.changes else None
        if verdict != last:  # the first verdict too; "not judged" at the start is no change
            self.changes.append(VerdictChange(index, verdict, health.reason))


# subscriber admin device -> stream key (`foo/bar/hw/position.change`) -> its lag
SubscriberLags = dict[str, dict[str, StreamLag]]


def add_health(lags: SubscriberLags, index: int, health: Iterable[StreamHealth]) -> None:
    for stream in health:
        streams = lags.setdefault(stream.subscriber, {})
        streams.setdefault(stream.label, StreamLag(stream.publisher)).add(index, stream)
