"""The `Analyser`: every rule over one snapshot of all monitored servers, with its memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from ska_tango_event_monitor.core.findings.backlog import backlog_findings, with_health
from ska_tango_event_monitor.core.findings.blocked import BlockedThreads
from ska_tango_event_monitor.core.findings.event_thread import (
    churn,
    latency,
    perf_unjudged,
    saturation,
)
from ska_tango_event_monitor.core.findings.judged import (
    CHECKS,
    COUNTER_CHECKS,
    FIRST_POLL,
    NO_PUBLISHER,
    NO_REPLY,
    NO_STREAM,
    PUBLISHER_DOWN,
    SAMPLE_CHECKS,
    Unjudged,
)
from ska_tango_event_monitor.core.findings.keepalive import KeepAlive
from ska_tango_event_monitor.core.findings.memory import Memory
from ska_tango_event_monitor.core.findings.model import Analysis, Finding, Severity, Thresholds
from ska_tango_event_monitor.core.findings.pace import Pace
from ska_tango_event_monitor.core.findings.samples import perf_samples
from ska_tango_event_monitor.core.findings.silent import PollFacts, SilentSubscriptions
from ska_tango_event_monitor.core.findings.state import (
    loopback_channels,
    missed_events,
    restarts,
)
from ska_tango_event_monitor.core.findings.window import ServerWindow
from ska_tango_event_monitor.core.flow import (
    Backlog,
    PublisherIndex,
    ServerView,
    backlogs,
    processed_rates,
    publisher_index,
    pushed_rates,
)
from ska_tango_event_monitor.core.health import HealthJudge
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.streams import stream_key


class Analyser:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._memory = Memory()
        self._windows: dict[str, ServerWindow] = {}
        self._keepalive = KeepAlive()
        self._blocked = BlockedThreads()
        self._silent = SilentSubscriptions()
        self._health = HealthJudge(self.thresholds.window_s)

    def analyse(
        self,
        views: Sequence[ServerView],
        failures: Mapping[str, str],
        time_s: float,
        facts: PollFacts | None = None,
    ) -> Analysis:
        """Rates, backlogs, findings and what could not be judged, of one snapshot at
        `time_s` (seconds, the monitor's clock); `failures` are servers with no reply;
        `facts`, the devices named per server and the endpoints probed."""
        self._follow(views, failures, time_s)
        index = publisher_index(views)
        pace = Pace({view.admin: self._windows[view.admin] for view in views}, index)
        pushed = [rate for view in views for rate in pushed_rates(view)]
        processed = [rate for view in views for rate in processed_rates(view)]
        flows = backlogs(views, index)
        limit = self.thresholds.backlog_events
        verdicts: list[Finding | Unjudged] = [
            *_no_reply(failures),
            *backlog_findings(flows, pushed, processed, self._memory, limit),
            *_unmonitored_publishers(views, failures, index),
            *self._silent.judge(views, failures, facts or PollFacts(), time_s, index),
        ]
        pushed_to = _pushed_to(flows, views)
        received: dict[str, list[Backlog]] = {}  # each subscriber's flows, grouped once
        for flow in flows:
            received.setdefault(flow.subscriber, []).append(flow)
        blocked: list[Finding] = []
        for view in views:
            mine = received.get(view.admin, ())
            worst = max((flow.events for flow in mine), default=0)  # its largest backlog
            verdicts += self._server_verdicts(view, pace, worst)
            blocked += self._blocked.judge(view, mine, pushed_to.get(view.admin, 0))
        verdicts += blocked
        stuck = {finding.server for finding in blocked}
        health = self._health.judge(flows, time_s, stuck, {v.admin: v.state for v in views})
        findings = tuple(with_health((v for v in verdicts if isinstance(v, Finding)), health))
        unjudged = tuple(v for v in verdicts if isinstance(v, Unjudged))
        resubscriptions = tuple(r for view in views for r in self._keepalive.latest[view.admin])
        return Analysis(
            tuple(pushed),
            tuple(processed),
            tuple(flows),
            findings,
            unjudged,
            resubscriptions,
            health,
        )

    def _follow(self, views: Sequence[ServerView], failures: Iterable[str], time_s: float) -> None:
        """Each server's window gets its reply; servers no longer polled are forgotten."""
        polled = {view.admin for view in views} | set(failures)
        self._windows = {a: w for a, w in self._windows.items() if a in polled}
        self._keepalive.forget(polled)
        self._blocked.forget(polled)
        for view in views:
            if view.admin not in self._windows:
                self._windows[view.admin] = ServerWindow(self.thresholds.window_s)
            self._windows[view.admin].add(time_s, view.state, view.diff)

    def _server_verdicts(
        self, view: ServerView, pace: Pace, backlog: int
    ) -> Iterator[Finding | Unjudged]:
        window, limits = self._windows[view.admin], self.thresholds
        yield from perf_unjudged(view, window, SAMPLE_CHECKS)
        yield from saturation(view, window, pace, limits)
        yield from latency(view, window, limits, backlog)
        yield from churn(view, window, limits)
        yield from perf_samples(view)
        yield from loopback_channels(view)
        yield from self._keepalive.judge(view, window.latest.time_s)
        if view.previous is None or view.diff is None:
            server = view.admin
            yield from (Unjudged(check, server, FIRST_POLL) for check in COUNTER_CHECKS)
            return
        yield from missed_events(view, view.diff)  # the session's: one diff per server and poll
        yield from restarts(view, view.diff)


def _no_reply(failures: Mapping[str, str]) -> Iterator[Finding | Unjudged]:
    for admin, error in failures.items():
        server = admin
        yield Finding(Severity.ERROR, "no reply", server, None, error)
        yield from (Unjudged(check, server, NO_REPLY) for check in CHECKS)


def _unmonitored_publishers(
    views: Sequence[ServerView], failures: Iterable[str], published: PublisherIndex
) -> Iterator[Unjudged]:
    """Subscriptions whose stream no answering server publishes: no backlog to compute."""
    down = {short_name(admin).lower() for admin in failures}
    answering = {short_name(view.admin).lower() for view in views}
    for view in views:
        orphans = [
            subscription
            for topic, subscription in view.state.subscriptions.items()
            if stream_key(topic) not in published
        ]
        server = view.admin
        reasons = {_orphan_reason(s.channel_name, down, answering) for s in orphans}
        yield from (Unjudged("backlog", server, reason) for reason in sorted(reasons))


def _orphan_reason(channel: str, down: set[str], answering: set[str]) -> str:
    publisher = short_name(channel).lower()  # the publisher's admin device
    if publisher in down:
        return PUBLISHER_DOWN
    return NO_STREAM if publisher in answering else NO_PUBLISHER


def _pushed_to(flows: Sequence[Backlog], views: Sequence[ServerView]) -> dict[str, int]:
    """Per subscriber, the events pushed since the poll before on the streams it receives
    (from the publishers' diffs: `CounterChange.events`)."""
    pushed = {
        (view.admin, change.stream): change.last_pushed.events
        for view in views
        if view.diff is not None and view.previous is not None
        for change in view.diff.published
    }
    counts: dict[str, int] = {}
    for flow in flows:
        events = pushed.get((flow.publisher, flow.stream), 0)
        if events > 0:
            counts[flow.subscriber] = counts.get(flow.subscriber, 0) + events
    return counts
