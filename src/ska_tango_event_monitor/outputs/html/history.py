"""The time series of a run, as the visual report plots them.

Pure: `ReportHistory.add` reads each `SnapshotReport` and keeps one number per snapshot and
plotted line (events pushed and processed per second, backlog, latency, processing time,
event thread wake-ups, the lag of each stream a subscriber receives), never the reports
themselves, so memory grows only with the points plotted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ska_tango_event_monitor.core.diff import ServerDiff
from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.core.findings.model import Resubscription
from ska_tango_event_monitor.core.flow import Backlog, StreamRate
from ska_tango_event_monitor.core.performance import PerformanceTable
from ska_tango_event_monitor.core.session import ServerReport, SnapshotReport
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.outputs.html.lag_history import SubscriberLags, add_health
from ska_tango_event_monitor.outputs.html.series import Point, Series

__all__ = ["FindingMark", "Point", "ReportHistory", "Series", "ServerHistory"]


@dataclass(frozen=True)
class FindingMark:
    """A finding raised at one snapshot (its evidence stays in the `FindingsLog`)."""

    index: int
    severity: Severity
    kind: str
    server: str  # admin device, short
    stream: str | None

    @property
    def key(self) -> tuple[str, str, str | None]:
        """The same key as the `FindingsLog` entry it belongs to."""
        return (self.kind, self.server, self.stream)


@dataclass
class ServerHistory:
    """The series of one device server; streams are keyed by `stream_key`."""

    admin: str
    title: str
    pushed: dict[str, Series] = field(default_factory=dict)  # events/s
    processed: dict[str, Series] = field(default_factory=dict)  # events/s
    backlog: dict[str, Series] = field(default_factory=dict)  # events, as subscriber
    publisher_of: dict[str, str] = field(default_factory=dict)  # stream key -> admin
    latency_median: Series = field(default_factory=Series)  # s
    latency_p90: Series = field(default_factory=Series)  # s
    processing_ms: dict[str, Series] = field(default_factory=dict)  # by attribute
    wake_median: Series = field(default_factory=Series)  # wake-ups per event
    event_channels: Mapping[str, str] = field(default_factory=dict)  # latest: admin -> endpoint
    resubscriptions: tuple[Resubscription, ...] = ()  # latest keep-alive state per topic
    answered: int = 0
    failed: list[int] = field(default_factory=list)  # snapshots without a reply
    last_error: str | None = None
    _publishers: set[str] = field(default_factory=set, init=False, repr=False)
    _subscriptions: set[str] = field(default_factory=set, init=False, repr=False)

    def add(self, index: int, report: ServerReport, backlogs: Iterable[Backlog] | None) -> None:
        """`backlogs` is None when the snapshot was not analysed (no rates either)."""
        self.title = report.title
        if report.error is not None or report.diff is None:
            self.failed.append(index)
            self.last_error = report.error
            return
        had_reply = self.answered > 0
        self.answered += 1
        self.event_channels = report.event_channels
        publishers, subscriptions = self._track(report.diff)
        if backlogs is not None and had_reply:
            _add_rates(self.pushed, index, publishers, report.pushed_rates)
            _add_rates(self.processed, index, subscriptions, report.processed_rates)
        self._add_backlogs(index, backlogs or ())
        self._add_client_performance(index, report.client_performance)

    def _track(self, diff: ServerDiff) -> tuple[set[str], set[str]]:
        """Keep the streams known from the diffs; returns those known before and still now."""
        pubs, subs = set(self._publishers), set(self._subscriptions)
        self._publishers |= {stream_key(p.stream) for p in diff.new_publishers}
        self._publishers -= {stream_key(p.stream) for p in diff.removed_publishers}
        self._subscriptions |= {stream_key(s.topic) for s in diff.new_subscriptions}
        self._subscriptions -= {stream_key(s.topic) for s in diff.removed_subscriptions}
        return pubs & self._publishers, subs & self._subscriptions

    def _add_backlogs(self, index: int, backlogs: Iterable[Backlog]) -> None:
        for flow in backlogs:
            if flow.subscriber == self.admin:
                key = stream_key(flow.topic)
                self.publisher_of[key] = flow.publisher
                self.backlog.setdefault(key, Series()).add(index, flow.events)

    def _add_client_performance(self, index: int, table: PerformanceTable | None) -> None:
        for row in table.rows if table else ():
            if row.column == "wake_count":
                self.wake_median.add(index, row.summary.median)
            elif row.column == "latency":
                self.latency_median.add(index, row.in_seconds(row.summary.median))
                if (p90 := row.summary.percentiles.get(90)) is not None:
                    self.latency_p90.add(index, row.in_seconds(p90))
            elif row.column == "processing_time":
                series = self.processing_ms.setdefault(row.attribute or "?", Series())
                series.add(index, row.in_seconds(row.summary.mean) * 1e3)


def _add_rates(
    series: dict[str, Series], index: int, streams: set[str], rates: Iterable[StreamRate]
) -> None:
    """A stream known at both polls that did not move had a rate of 0."""
    per_second = dict.fromkeys(streams, 0.0)
    for rate in rates:
        key = stream_key(rate.name)
        per_second[key] = per_second.get(key, 0.0) + rate.per_second
    for key, value in sorted(per_second.items()):
        series.setdefault(key, Series()).add(index, value)


class ReportHistory:
    """Collects the plotted numbers of each snapshot report of a run, in order."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.servers: dict[str, ServerHistory] = {}  # by admin device, first seen first
        self.marks: list[FindingMark] = []
        self.analysed = False  # a report carried findings (rates and backlogs)
        self.lags: SubscriberLags = {}  # by subscriber, first seen first

    def add(self, report: SnapshotReport) -> None:
        index = len(self.times)
        self.times.append(report.time)
        backlogs = None if report.findings is None else report.backlogs
        for server in report.servers:
            history = self.servers.setdefault(server.admin, ServerHistory(server.admin, ""))
            history.add(index, server, backlogs)
            if server.error is None and report.findings is not None:
                history.resubscriptions = tuple(
                    r for r in report.resubscriptions if r.server == server.admin
                )
        add_health(self.lags, index, report.health)
        if report.findings is not None:
            self.analysed = True
            self.marks += [
                FindingMark(index, f.severity, f.kind, f.server, f.stream) for f in report.findings
            ]
