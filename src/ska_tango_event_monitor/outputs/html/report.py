"""`--report FILE.html`: a run as one self-contained page of charts and findings.

Pure: `render_html` turns a `ReportHistory` and the run's `FindingsLog` into text. The page
needs no network to open: inline CSS and SVG drawn here, no script, font or image to fetch.
Every text taken from the data (device names, streams, messages) is escaped. The charts are
drawn by `html_chart` (axes, lines, legends in `html_axes`, `html_lines`), the sections by
`html_server`, `html_findings`, `html_graph` (the event graph, drawn by `graph.svg`) and
`html_lag` (the lag per subscriber); colours and the style sheet are in `html_style`.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.graph import EventGraph
from ska_tango_event_monitor.core.units import duration
from ska_tango_event_monitor.outputs.html.chart import Chart
from ska_tango_event_monitor.outputs.html.colours import Colours
from ska_tango_event_monitor.outputs.html.findings import badge, findings_section
from ska_tango_event_monitor.outputs.html.graph import graph_section
from ska_tango_event_monitor.outputs.html.history import ReportHistory
from ska_tango_event_monitor.outputs.html.lag import lag_section
from ska_tango_event_monitor.outputs.html.lines import Line
from ska_tango_event_monitor.outputs.html.server import MAX_COMPARED, MAX_LINES, server_section
from ska_tango_event_monitor.outputs.html.style import CSS, PAGE, PALETTE, SEVERITY_COLOURS
from ska_tango_event_monitor.outputs.html.time_axis import TimeAxis

__all__ = [
    "MAX_COMPARED",
    "MAX_LINES",
    "PALETTE",
    "SEVERITY_COLOURS",
    "Chart",
    "Line",
    "TimeAxis",
    "render_html",
]


def render_html(
    history: ReportHistory,
    findings: FindingsLog,
    title: str,
    progress: Callable[[int, int], None] | None = None,
    graph: EventGraph | None = None,
) -> str:
    """The whole page; `findings` is the log the run kept of the same reports. `progress`
    is told after each server's section: sections done, and how many in all. `graph`: the
    event graph of the last report, drawn after the findings, before the lag per subscriber."""
    axis = TimeAxis.of(history.times) if history.times else None
    colours = Colours()
    sections = [_header(history, findings, title), findings_section(history, findings, axis)]
    if graph is not None:
        sections.append(graph_section(graph))
    servers = list(history.servers.values())
    drawn = []
    for done, server in enumerate(servers, start=1):
        drawn.append(server_section(server, history, axis, colours))
        if progress is not None:
            progress(done, len(servers))
    # after the servers' charts, so that each attribute keeps the colour they gave it
    lag = lag_section(history, axis, colours)
    sections += [lag, *drawn] if lag else drawn
    return PAGE.format(title=escape(title), css=CSS, body="\n".join(sections))


def _header(history: ReportHistory, log: FindingsLog, title: str) -> str:
    if history.times:
        first, last = min(history.times), max(history.times)
        span = (last - first).total_seconds()
        what = (
            f"{len(history.times)} snapshot(s) from {first:%Y-%m-%d %H:%M:%S} "
            f"to {last:%Y-%m-%d %H:%M:%S} ({duration(span * 1e6)}), "
            f"{len(history.servers)} server(s)"
        )
    else:
        what = "No snapshots were recorded."
    worst = f" · worst finding: {badge(log.worst)}" if log.worst is not None else ""
    guide = (
        '<p class="guide">Charts share the time axis. Dashed: the publisher\'s rate on the same '
        "stream, or the 90th percentile. ▲ under the axis: findings raised (colour: severity); "
        "grey band: no reply.</p>"
        if history.times
        else ""
    )
    return f'<header><h1>{escape(title)}</h1><p class="meta">{what}{worst}</p>{guide}</header>'
