"""The text report, in the tutorial's format: 120-column banners, one section per server."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from ska_tango_event_monitor.core.diff import ServerDiff
from ska_tango_event_monitor.core.findings import Finding, Unjudged
from ska_tango_event_monitor.core.findings.judged import group_text, grouped
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.health import StreamHealth
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.performance import SAMPLE_RING_SIZE, PerformanceTable
from ska_tango_event_monitor.core.session import ServerReport, SnapshotReport
from ska_tango_event_monitor.core.statistics import Summary
from ska_tango_event_monitor.outputs import changes
from ska_tango_event_monitor.outputs.changes import (
    _SUBSCRIPTION_CHANGE_LABELS,  # noqa: F401  (the docs' test reads the labels here)
)
from ska_tango_event_monitor.outputs.health import health_lines, summary_lines

WIDTH = 120
SNAPSHOT_SEPARATOR = "\n\n\n"
TABLE_COLUMNS = ("mean", "median", "count", "minimum", "maximum", "1%", "10%", "90%", "99%")
_PERCENTILES = (1, 10, 90, 99)


def render_snapshot(report: SnapshotReport) -> str:
    """One snapshot: banner, a section per server, banner (no trailing newline)."""
    banner = f"{report.time.isoformat(timespec='microseconds'):=^{WIDTH}}"
    lines = [banner]
    health: dict[str, list[StreamHealth]] = defaultdict(list)  # by subscriber, grouped once
    for stream in report.health:
        health[stream.subscriber].append(stream)
    for server in report.servers:
        lines.append(f"{server.title:-^{WIDTH}}")
        lines.extend(_server_lines(server, health.get(server.admin, ())) or [""])
    if report.findings or report.unjudged:
        lines += [f"{'Findings':-^{WIDTH}}", *map(finding_line, report.findings or ())]
        servers = [server.admin for server in report.servers]
        lines += unjudged_lines(report.unjudged, servers)
    lines.append(banner)
    return "\n".join(lines)


def finding_line(finding: Finding) -> str:
    """`WARNING backlog dserver/X/y foo/bar/hw/position.change: <evidence>`."""
    where = " ".join(filter(None, (short_name(finding.server), finding.stream)))
    return f"{finding.severity.name} {finding.kind} {where}: {finding.message}"


def unjudged_lines(unjudged: Iterable[Unjudged], servers: Sequence[str]) -> list[str]:
    """`not judged: churn at dserver/X/y: fewer than 10 events in the window`."""
    return [f"not judged: {group_text(group, servers)}" for group in grouped(unjudged)]


def _server_lines(server: ServerReport, health: Sequence[StreamHealth] = ()) -> list[str]:
    if server.error is not None:
        return [f"- Error: {server.error}"]
    lines = []
    if server.recovered_after:
        lines.append(f"- Answering again after {server.recovered_after} failed poll(s)")
    diff = server.diff or ServerDiff()
    lines += _section("New publishers", changes.new_publishers(diff.new_publishers))
    lines += _section("Published events", changes.published(diff.published))
    lines += _section("Removed publishers", changes.removed_publishers(diff.removed_publishers))
    lines += table_section("Server performance", server.server_performance)
    lines += _section("New subscriptions", changes.new_subscriptions(diff.new_subscriptions))
    changed = changes.changed_subscriptions(diff.changed_subscriptions)
    lines += _section("Received events and callback changes", changed)
    removed = changes.removed_subscriptions(diff.removed_subscriptions)
    lines += _section("Removed subscriptions", removed)
    lines += table_section("Client performance", server.client_performance)
    rates = changes.rates(server.pushed_rates, server.processed_rates)
    lines += _section("Event rates", rates + health_lines(health))
    return lines


def _section(title: str, lines: list[str]) -> list[str]:
    return [f"- {title}", *lines] if lines else []


def table_section(title: str, table: PerformanceTable | None) -> list[str]:
    if table is None or not table.rows:
        return []
    lines = [f"- {title}", *render_table(table)]
    if table.shared_rows:
        lines.append(
            "  note: a Processing Time row covers every subscribed stream of that attribute "
            "name in this process (the samples name the attribute, not the device)"
        )
    if table.ring_full:
        lines.append(
            f"  note: {table.sample_count} samples, the ring of {SAMPLE_RING_SIZE} was full:"
            " older samples were lost; use a shorter --polling-period"
        )
    return lines


def render_table(table: PerformanceTable) -> list[str]:
    """Rows right-aligned by title, cells centred in their column, two spaces apart."""
    cells = [_row_cells(row.summary) for row in table.rows]
    titles = [row.title for row in table.rows]
    title_width = max(map(len, titles))
    widths = [
        max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(TABLE_COLUMNS)
    ]
    return [
        _table_line("", title_width, TABLE_COLUMNS, widths),
        *(_table_line(t, title_width, c, widths) for t, c in zip(titles, cells, strict=True)),
    ]


def _table_line(title: str, title_width: int, cells: Iterable[str], widths: list[int]) -> str:
    body = "  ".join(map(str.center, cells, widths))
    return f" {title:>{title_width}}  {body}".rstrip()


def _row_cells(summary: Summary) -> list[str]:
    # %-formatting: the same text as f"{value:.2f}", in half the time (many rows a poll)
    percentiles = summary.percentiles
    return [
        "%.2f±%.2f" % (summary.mean, summary.standard_error),  # noqa: UP031
        "%.2f" % summary.median,  # noqa: UP031
        str(summary.count),
        "%.2f" % summary.minimum,  # noqa: UP031
        "%.2f" % summary.maximum,  # noqa: UP031
        *("%.2f" % percentiles[p] if p in percentiles else "" for p in _PERCENTILES),  # noqa: UP031
    ]


def render_summary(log: FindingsLog) -> str:
    """The findings of a whole run, one line per kind, server and stream."""
    span = ""
    if log.first_time and log.last_time:
        span = f" from {log.first_time.isoformat(timespec='seconds')}"
        span += f" to {log.last_time.isoformat(timespec='seconds')}"
    lines = [f"{'Summary':=^{WIDTH}}", f"- Findings in {log.snapshots} snapshot(s){span}"]
    unjudged = log.never_judged
    if not log.entries:
        lines.append("none: nothing unusual was seen" if not unjudged else "no finding")
    for entry in log.entries:
        span = f"{entry.first_time:%H:%M:%S}"
        if entry.last_time != entry.first_time:
            span += f" to {entry.last_time:%H:%M:%S}"
        lines.append(f"{finding_line(entry.worst)} [in {entry.snapshots} snapshot(s), {span}]")
    lines += unjudged_lines(unjudged, log.servers)
    lines += summary_lines(log.streams)
    lines.append("=" * WIDTH)
    return "\n".join(lines)
