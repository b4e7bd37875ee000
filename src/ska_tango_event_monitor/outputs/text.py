"""The text report, in the tutorial's format: 120-column banners, one section per server."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ska_tango_event_monitor.core.diff import (
    CounterChange,
    PublisherChange,
    ServerDiff,
    SubscriptionChange,
)
from ska_tango_event_monitor.core.findings import Finding, Unjudged
from ska_tango_event_monitor.core.findings.judged import group_text, grouped
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.flow import StreamRate
from ska_tango_event_monitor.core.model import Publisher, Subscription
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.performance import SAMPLE_RING_SIZE, PerformanceTable
from ska_tango_event_monitor.core.session import ServerReport, SnapshotReport
from ska_tango_event_monitor.core.statistics import Summary

WIDTH = 120
NAME_MARGIN = 8
SNAPSHOT_SEPARATOR = "\n\n\n"
TABLE_COLUMNS = ("mean", "median", "count", "minimum", "maximum", "1%", "10%", "90%", "99%")
_PERCENTILES = (1, 10, 90, 99)

_SUBSCRIPTION_CHANGE_LABELS = {
    "events_processed": "events processed",
    "last_received": "last received server counter",
    "callbacks": "callbacks",
    "missed_events": "missed events detected",
    "discarded_events": "events discarded",
}
# Server counters only grow while the publishing process lives.
_SERVER_COUNTERS = {"last_received"}


def render_snapshot(report: SnapshotReport) -> str:
    """One snapshot: banner, a section per server, banner (no trailing newline)."""
    banner = f"{report.time.isoformat(timespec='microseconds'):=^{WIDTH}}"
    lines = [banner]
    for server in report.servers:
        lines.append(f"{server.title:-^{WIDTH}}")
        lines.extend(_server_lines(server) or [""])
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


def _server_lines(server: ServerReport) -> list[str]:
    if server.error is not None:
        return [f"- Error: {server.error}"]
    lines = []
    if server.recovered_after:
        lines.append(f"- Answering again after {server.recovered_after} failed poll(s)")
    diff = server.diff or ServerDiff()
    lines += _publisher_lines(diff)
    lines += table_section("Server performance", server.server_performance)
    lines += _subscription_lines(diff)
    lines += table_section("Client performance", server.client_performance)
    lines += _section("Event rates", _rates(server))
    return lines


# An entry is a name and the texts shown after it, one line each.
Entry = tuple[str, Sequence[str]]


def _section(title: str, entries: Iterable[Entry]) -> list[str]:
    entries = list(entries)
    if not entries:
        return []
    width = NAME_MARGIN + max(len(name) for name, _ in entries)
    lines = [f"- {title}"]
    for name, texts in entries:
        lines += [f"{name if i == 0 else '':>{width}}: {t}" for i, t in enumerate(texts)]
    return lines


def _publisher_lines(diff: ServerDiff) -> list[str]:
    return [
        *_section("New publishers", map(_new_publisher, diff.new_publishers)),
        *_section("Published events", map(_published, diff.published)),
        *_section("Removed publishers", map(_removed_publisher, diff.removed_publishers)),
    ]


def _subscription_lines(diff: ServerDiff) -> list[str]:
    changed = map(_changed_subscription, diff.changed_subscriptions)
    return [
        *_section("New subscriptions", map(_new_subscription, diff.new_subscriptions)),
        *_section("Received events and callback changes", changed),
        *_section("Removed subscriptions", map(_removed_subscription, diff.removed_subscriptions)),
    ]


def _rates(server: ServerReport) -> list[Entry]:
    pushed = [_rate(rate, "pushed") for rate in server.pushed_rates]
    return pushed + [_rate(rate, "processed") for rate in server.processed_rates]


def _rate(rate: StreamRate, verb: str) -> Entry:
    return short_name(rate.name), [f"{rate.per_second:.1f} events/s {verb}"]


def _new_publisher(publisher: Publisher) -> Entry:
    return short_name(publisher.stream), [
        f"{publisher.last_pushed} is the last pushed server counter"
    ]


def _published(change: PublisherChange) -> Entry:
    return short_name(change.stream), [
        change_text(change.last_pushed, "last pushed server counter", True)
    ]


def _removed_publisher(publisher: Publisher) -> Entry:
    return short_name(publisher.stream), [
        f"{publisher.last_pushed} was the last pushed server counter"
    ]


def _new_subscription(subscription: Subscription) -> Entry:
    return short_name(subscription.topic), [
        f"{subscription.event_count} events already processed",
        f"{subscription.server_counter} is the last received server counter",
        f"{subscription.callback_count} callback(s) registered",
        f"{subscription.missed_event_count} missed events detected",
        f"{subscription.discarded_event_count} events discarded",
    ]


def _changed_subscription(change: SubscriptionChange) -> Entry:
    return short_name(change.topic), [
        change_text(counter, _SUBSCRIPTION_CHANGE_LABELS[field], field in _SERVER_COUNTERS)
        for field, counter in change.changes()
    ]


def _removed_subscription(subscription: Subscription) -> Entry:
    return short_name(subscription.topic), [
        f"{subscription.event_count} events processed",
        f"{subscription.server_counter} was the last received server counter",
    ]


def change_text(change: CounterChange, label: str, is_server_counter: bool = False) -> str:
    """`2 -> 3 (+1) label`; a server counter that went back is explained, not subtracted."""
    if is_server_counter and change.went_back:
        return f"{change.before} -> {change.after} (reset: the publisher restarted) {label}"
    return f"{change.before} -> {change.after} ({change.delta:+d}) {label}"


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
    body = "".join(f"  {cell.center(width)}" for cell, width in zip(cells, widths, strict=True))
    return f" {title:>{title_width}}{body}".rstrip()


def _row_cells(summary: Summary) -> list[str]:
    return [
        f"{summary.mean:.2f}±{summary.standard_error:.2f}",
        f"{summary.median:.2f}",
        str(summary.count),
        f"{summary.minimum:.2f}",
        f"{summary.maximum:.2f}",
        *(
            f"{summary.percentiles[p]:.2f}" if p in summary.percentiles else ""
            for p in _PERCENTILES
        ),
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
    lines.append("=" * WIDTH)
    return "\n".join(lines)
