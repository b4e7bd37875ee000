"""The findings summary of a run: how many snapshots raised each finding (pure: no Tango)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ska_tango_event_monitor.core.findings import Finding, Severity
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.outputs.text import render_summary

T0 = datetime(2026, 1, 1, 12, 0, 0)


def finding(message: str, severity: Severity = Severity.WARNING) -> Finding:
    return Finding(severity, "samples stolen", "dserver/Pool/demo", None, message)


def test_a_finding_raised_twice_in_one_snapshot_counts_once() -> None:
    log = FindingsLog()
    log.add(T0, [finding("a"), finding("b", Severity.ERROR)])  # one server, two sections
    log.add(T0 + timedelta(seconds=1), [])
    log.add(T0 + timedelta(seconds=2), [finding("c"), finding("d")])
    [entry] = log.entries
    assert (log.snapshots, entry.snapshots) == (3, 2)
    assert (entry.worst.message, entry.last.message) == ("b", "d")
    assert render_summary(log).splitlines()[1:3] == [
        "- Findings in 3 snapshot(s) from 2026-01-01T12:00:00 to 2026-01-01T12:00:02",
        "ERROR samples stolen dserver/Pool/demo: b [in 2 snapshot(s), 12:00:00 to 12:00:02]",
    ]
