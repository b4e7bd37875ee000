"""`--top`'s rows: one per stream and subscriber, read from a `SnapshotReport` only.

Pure. A row joins a publisher's stream to one subscriber's topic where both servers are
monitored (the report's backlogs); a subscription whose publisher is not monitored, and a
stream no monitored server receives, make rows of one side. A finding that names no row's
stream (a subscription not connected, a server not answering) makes a row of its own, so
that no finding is off the screen. A row's lag and verdict are the report's stream health
of its subscription, as the text and JSON reports give them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy

from ska_tango_event_monitor.core.findings import Finding, Severity
from ska_tango_event_monitor.core.findings.event_thread import latency_measure
from ska_tango_event_monitor.core.flow import Backlog, ServerView, backlogs
from ska_tango_event_monitor.core.health import StreamHealth, Verdict
from ska_tango_event_monitor.core.model import EventSystemState, processed
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.rate_index import StreamRates
from ska_tango_event_monitor.core.session import ServerReport, SnapshotReport
from ska_tango_event_monitor.core.streams import same_attribute, stream_key


@dataclass(frozen=True)
class StreamRow:
    """One stream as one subscriber sees it; None: not known at this snapshot."""

    stream: str  # `foo/bar/hw/position.change`, the same for both sides
    publisher: str | None  # admin device; None: not monitored
    subscriber: str | None  # admin device; None: no monitored server subscribes
    pushed_per_s: float | None = None
    processed_per_s: float | None = None
    backlog: int | None = None  # events pushed, not yet received
    missed: int | None = None  # the subscriber's missed_event_count (gaps, not events)
    latency_s: float | None = None  # p90 of this poll's samples (the highest from fewer)
    processing_s: float | None = None  # median time of its attribute's callbacks
    lag_s: float | None = None  # how long its oldest pending event has waited (None: unknown)
    lag_at_least: bool = False  # that event is older than the push history kept
    verdict: Verdict | None = None  # None: not judged (too few polls, or not joined)
    severity: Severity | None = None  # the worst finding on this row
    findings: tuple[str, ...] = ()  # the kinds of the findings on this row
    server: str | None = None  # a finding's own row: its server, on neither side
    topic: str | None = None  # the subscription as its subscriber names it (full name)

    @property
    def servers(self) -> tuple[str, ...]:
        sides = (self.publisher, self.subscriber, self.server)
        return tuple(s for s in sides if s is not None)


def stream_rows(report: SnapshotReport) -> list[StreamRow]:
    """Every row of the report, unordered."""
    rates = StreamRates(report)
    servers = {server.admin: server for server in report.servers}
    joined = _backlogs(report)
    rows = [
        *_joined(report, joined, rates, servers),
        *_one_sided(report, joined, rates, servers),
    ]
    return _with_findings(_with_health(rows, report.health), report.findings or ())


def _backlogs(report: SnapshotReport) -> Sequence[Backlog]:
    """The report's (they come with the analysis), else joined here the same way."""
    if report.findings is not None:
        return report.backlogs
    return backlogs([ServerView(admin, state) for admin, state in report.states.items()])


def _joined(
    report: SnapshotReport,
    joined: Sequence[Backlog],
    rates: StreamRates,
    servers: Mapping[str, ServerReport],
) -> Iterable[StreamRow]:
    for backlog in joined:
        yield _subscriber_row(
            backlog.topic,
            backlog.subscriber,
            report.states[backlog.subscriber],
            servers[backlog.subscriber],
            rates,
            publisher=backlog.publisher,
            pushed=rates.pushed(backlog.publisher, backlog.stream),
            backlog=backlog.events,
        )


def _one_sided(
    report: SnapshotReport,
    joined: Sequence[Backlog],
    rates: StreamRates,
    servers: Mapping[str, ServerReport],
) -> Iterable[StreamRow]:
    """Subscriptions not in a backlog (publisher not monitored, or nothing received yet),
    those not connected, and streams that no monitored server subscribes to."""
    paired = {(b.subscriber, b.topic) for b in joined}
    publishers = {
        stream_key(stream): (admin, stream)
        for admin, state in report.states.items()
        for stream in state.publishers
    }
    received = set()
    for admin, state in report.states.items():
        for topic in state.subscriptions:
            received.add(stream_key(topic))
            if (admin, topic) in paired:
                continue
            publisher, stream = publishers.get(stream_key(topic), (None, ""))
            pushed = None if publisher is None else rates.pushed(publisher, stream)
            yield _subscriber_row(topic, admin, state, servers[admin], rates, publisher, pushed)
        for entry in state.not_connected:  # subscriptions the keep-alive could not make
            key = stream_key(f"{short_name(entry.device)}/{entry.attribute}.{entry.event_type}")
            received.add(key)
            yield StreamRow(key, publishers.get(key, (None, ""))[0], admin)
    for key, (admin, stream) in publishers.items():
        if key not in received:
            yield StreamRow(key, admin, None, rates.pushed(admin, stream))


def _subscriber_row(
    topic: str,
    admin: str,
    state: EventSystemState,
    server: ServerReport,
    rates: StreamRates,
    publisher: str | None = None,
    pushed: float | None = None,
    backlog: int | None = None,
) -> StreamRow:
    return StreamRow(
        stream=stream_key(topic),
        publisher=publisher,
        subscriber=admin,
        pushed_per_s=pushed,
        processed_per_s=rates.processed(admin, topic),
        backlog=backlog,
        missed=state.subscriptions[topic].missed_event_count,
        latency_s=_latency(state, topic),
        processing_s=_processing(server, topic),
        topic=topic,
    )


def _latency(state: EventSystemState, topic: str) -> float | None:
    """From the samples of this topic's attribute (cppTango names the attribute only)."""
    latencies = numpy.fromiter(
        (
            s.first_callback_latency_micros / 1e6
            for s in processed(state.subscriber_samples)
            if s.first_callback_latency_micros is not None and same_attribute(topic, s.attr_name)
        ),
        dtype=numpy.float64,
    )
    return latency_measure(latencies)[0] if latencies.size else None


def _processing(server: ServerReport, topic: str) -> float | None:
    table = server.client_performance
    for row in table.rows if table is not None else ():
        named = row.column == "processing_time" and row.attribute is not None
        if named and same_attribute(topic, row.attribute or ""):
            return row.in_seconds(row.summary.median)
    return None


def _with_health(rows: list[StreamRow], health: Iterable[StreamHealth]) -> list[StreamRow]:
    """Each subscriber's row with the lag and verdict the report's stream health gives its
    stream (read, never recomputed here); rows without one keep "not known"."""
    by_topic: dict[tuple[str | None, str | None], StreamHealth] = {
        (h.subscriber, h.topic): h for h in health
    }
    judged = []
    for row in rows:
        found = by_topic.get((row.subscriber, row.topic))
        if found is not None:
            row = replace(
                row, lag_s=found.lag_s, lag_at_least=found.lag_at_least, verdict=found.verdict
            )
        judged.append(row)
    return judged


def _with_findings(rows: list[StreamRow], findings: Iterable[Finding]) -> list[StreamRow]:
    """Each row with the findings on it: those naming its stream at one of its servers, and
    those on a whole server (no stream) at its subscriber, or its publisher when the server
    subscribes to nothing. A finding on no row gets a row of its own."""
    on_row: list[list[Finding]] = [[] for _ in rows]
    extra: dict[tuple[str, str | None], list[Finding]] = {}
    by_server: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        for server in row.servers:
            by_server.setdefault(server, []).append(index)
    subscribing = {row.subscriber for row in rows}
    for finding in findings:
        candidates = by_server.get(finding.server, [])
        hits = [i for i in candidates if _concerns(finding, rows[i], subscribing)]
        for index in hits:
            on_row[index].append(finding)
        if not hits:
            extra.setdefault((finding.server, finding.stream), []).append(finding)
    marked = [_marked(row, found) for row, found in zip(rows, on_row, strict=True)]
    for (server, stream), found in extra.items():
        marked.append(_marked(StreamRow(stream or "–", None, None, server=server), found))
    return marked


def _concerns(finding: Finding, row: StreamRow, subscribing: set[str | None]) -> bool:
    if finding.stream is not None:
        return stream_key(finding.stream) == row.stream and finding.server in row.servers
    if finding.server == row.subscriber:
        return True
    return finding.server == row.publisher and finding.server not in subscribing


def _marked(row: StreamRow, findings: list[Finding]) -> StreamRow:
    if not findings:
        return row
    kinds = tuple(dict.fromkeys(f.kind for f in sorted(findings, key=_worst_first)))
    return replace(row, severity=max(f.severity for f in findings), findings=kinds)


def _worst_first(finding: Finding) -> tuple[int, float]:
    return (-finding.severity, -finding.magnitude)
