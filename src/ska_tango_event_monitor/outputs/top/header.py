"""`--top`'s header: the last poll, who answered, the worst finding, the total event rates.
Pure: read from the `SnapshotReport` (and the one before it, for whether rates are known)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ska_tango_event_monitor.core.findings import Finding
from ska_tango_event_monitor.core.session import SnapshotReport
from ska_tango_event_monitor.outputs.top.table import UNKNOWN, server_name

NAMED_SILENT = 3  # servers not answering named in the header; the others counted


@dataclass(frozen=True)
class Header:
    time: datetime
    answering: int
    not_answering: tuple[str, ...]  # admin devices
    worst: Finding | None
    analysed: bool  # findings asked for (not --no-analysis)
    pushed_per_s: float | None  # all streams; None: no rate yet (first reply)
    processed_per_s: float | None


def header_of(report: SnapshotReport, previous: SnapshotReport | None) -> Header:
    silent = tuple(server.admin for server in report.servers if server.error is not None)
    findings = report.findings or ()
    worst = max(findings, key=lambda f: (f.severity, f.magnitude), default=None)
    rated = report.findings is not None and previous is not None and bool(previous.states)
    return Header(
        time=report.time,
        answering=len(report.servers) - len(silent),
        not_answering=silent,
        worst=worst,
        analysed=report.findings is not None,
        pushed_per_s=_total(report, "pushed") if rated else None,
        processed_per_s=_total(report, "processed") if rated else None,
    )


def _total(report: SnapshotReport, side: str) -> float:
    return sum(
        rate.per_second
        for server in report.servers
        for rate in (server.pushed_rates if side == "pushed" else server.processed_rates)
    )


def header_lines(header: Header) -> tuple[str, str]:
    """The poll and the totals; the worst finding."""
    silent = len(header.not_answering)
    named = ", ".join(server_name(admin) for admin in header.not_answering[:NAMED_SILENT])
    others = f" and {silent - NAMED_SILENT} more" if silent > NAMED_SILENT else ""
    poll = (
        f"{header.time:%Y-%m-%d %H:%M:%S}  servers: {header.answering} answering, "
        f"{silent} not answering{f' ({named}{others})' if silent else ''}  events: "
        f"{_rate(header.pushed_per_s)} pushed/s, {_rate(header.processed_per_s)} processed/s"
    )
    return poll, "worst finding: " + _worst(header)


def _worst(header: Header) -> str:
    if not header.analysed:
        return "not judged (--no-analysis)"
    finding = header.worst
    if finding is None:
        return "none"
    stream = f" {finding.stream}" if finding.stream else ""
    return (
        f"{finding.severity} {finding.kind} {server_name(finding.server)}{stream}: "
        f"{finding.message}"
    )


def _rate(per_second: float | None) -> str:
    return UNKNOWN if per_second is None else f"{per_second:.1f}"
