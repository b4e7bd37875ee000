"""The `Analyser`: every rule over one snapshot of all monitored servers, with its memory."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ska_tango_event_monitor.findings.backlog import backlog_findings
from ska_tango_event_monitor.findings.event_thread import churn, latency, saturation
from ska_tango_event_monitor.findings.memory import Memory
from ska_tango_event_monitor.findings.model import Analysis, Finding, Severity, Thresholds
from ska_tango_event_monitor.findings.samples import perf_samples
from ska_tango_event_monitor.findings.state import (
    loopback_channels,
    missed_events,
    not_connected,
    restarts,
)
from ska_tango_event_monitor.flow import ServerView, backlogs, processed_rates, pushed_rates
from ska_tango_event_monitor.names import short_name


class Analyser:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._memory = Memory()

    def analyse(self, views: Sequence[ServerView], failures: dict[str, str]) -> Analysis:
        """Rates, backlogs and findings of one snapshot; `failures` are servers with no reply."""
        pushed = [rate for view in views for rate in pushed_rates(view)]
        self._memory.remember_publishers(views, pushed)
        processed = [rate for view in views for rate in processed_rates(view)]
        flows = backlogs(views)
        limit = self.thresholds.backlog_events
        findings = [
            *_no_reply(failures),
            *backlog_findings(flows, pushed, processed, self._memory, limit),
            *(finding for view in views for finding in self._server_findings(view)),
        ]
        return Analysis(tuple(pushed), tuple(processed), tuple(flows), tuple(findings))

    def _server_findings(self, view: ServerView) -> Iterator[Finding]:
        diff = None
        if view.previous is not None:
            diff = view.diff  # the session's: one diff per server and poll
        yield from saturation(view, self._memory, self.thresholds)
        yield from latency(view, self._memory, self.thresholds)
        yield from churn(view, self.thresholds)
        yield from perf_samples(view)
        yield from not_connected(view)
        yield from loopback_channels(view)
        if diff is not None:
            yield from missed_events(view, diff)
            yield from restarts(view, diff)


def _no_reply(failures: Mapping[str, str]) -> Iterator[Finding]:
    for admin, error in failures.items():
        yield Finding(Severity.ERROR, "no reply", short_name(admin), None, error)
