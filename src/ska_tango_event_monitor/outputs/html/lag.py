"""The HTML report's "Lag per subscriber" section: one chart per subscriber server, one line
per stream it receives, its lag in seconds (`StreamHealth.lag_s`) over the run.

Drawn by the report's chart code: a hollow dot is an "at least" lag (the event is older than
the push history kept), a diamond the stream's verdict from that poll on, in the event
graph's colours, so that a stream reads the same in both pictures.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape

from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.outputs.graph.labels import GREY, NOT_JUDGED, VERDICT_COLOURS
from ska_tango_event_monitor.outputs.html.chart import Chart, chart_figure, server_marks
from ska_tango_event_monitor.outputs.html.colours import Colours
from ska_tango_event_monitor.outputs.html.history import ReportHistory
from ska_tango_event_monitor.outputs.html.lag_history import StreamLag
from ska_tango_event_monitor.outputs.html.lines import Pin
from ska_tango_event_monitor.outputs.html.server import streams_chart
from ska_tango_event_monitor.outputs.html.time_axis import TimeAxis

AT_LEAST = "at least"
HOLLOW_MEANS = "at least: the event is older than the push history kept"
GUIDE = (
    "The lag of a stream: how long the oldest event pushed by the publisher and not yet "
    "received by the subscriber has waited, both times on the monitor's clock (0: caught up). "
    "A gap: the lag was not known at that poll (a publisher seen once, or not answering). "
    "Hollow dot: at least that long. ◆: the stream's verdict from that poll on, in the "
    "colours of the event graph."
)


def lag_section(history: ReportHistory, axis: TimeAxis | None, colours: Colours) -> str:
    """'' for a run not analysed (there is no lag without the analysis)."""
    if not history.analysed:
        return ""
    if axis is None or not history.lags:
        body = (
            '<p class="empty">No stream was joined to its publisher: a lag needs the '
            "subscriber and its publisher polled (publishers are followed unless "
            "--no-follow).</p>"
        )
    else:
        body = _charts(history, axis, colours)
    return (
        f'<section class="lag"><h2>Lag per subscriber</h2><p class="guide">{escape(GUIDE)}</p>'
        f"{body}</section>"
    )


def _charts(history: ReportHistory, axis: TimeAxis, colours: Colours) -> str:
    """A chart per subscriber that fell behind; those never behind, or whose lag was never
    known, named in a sentence each (a ring of 50 healthy servers is one line)."""
    figures: list[str] = []
    caught_up: list[str] = []
    unknown: list[str] = []
    for admin, streams in history.lags.items():
        server = history.servers.get(admin)
        title = (server.title if server else "") or short_name(admin)
        chart = lag_chart(title, streams, colours)
        if chart.lines:
            failed = server.failed if server else []
            figures.append(chart_figure(chart, axis, server_marks(history.marks, admin), failed))
        else:  # flat: lines at 0 only; else none with a point
            (caught_up if chart.flat else unknown).append(title)
    sentences = [
        f'<p class="note">{escape(text)}: {escape(", ".join(names))}.</p>'
        for text, names in (
            (
                f"Never behind, 0 s wherever the lag was known ({len(caught_up)} subscriber(s))",
                caught_up,
            ),
            (f"Lag never known ({len(unknown)} subscriber(s))", unknown),
        )
        if names
    ]
    charts = f'<div class="charts">{"".join(figures)}</div>' if figures else ""
    return charts + "".join(sentences)


def lag_chart(title: str, streams: dict[str, StreamLag], colours: Colours) -> Chart:
    """The streams that lagged most (as every chart picks its lines), each with its bounds
    and verdict changes."""
    chart = streams_chart(
        f"{title}: lag of each stream received",
        "s",
        {key: stream.lag for key, stream in streams.items()},
        colours,
        lambda key: f"{key} from {short_name(streams[key].publisher)}",
    )
    lines = tuple(
        replace(
            line,
            hollow=frozenset(streams[line.key].at_least),
            hollow_note=AT_LEAST,
            pins=_pins(streams[line.key]),
        )
        for line in chart.lines
    )
    order = (*VERDICT_COLOURS, NOT_JUDGED)  # the best first, as the event graph's legend
    return replace(chart, lines=lines, hollow_means=HOLLOW_MEANS, pin_order=order)


def _pins(stream: StreamLag) -> tuple[Pin, ...]:
    return tuple(
        Pin(
            change.index,
            GREY if change.verdict is None else VERDICT_COLOURS.get(change.verdict, GREY),
            change.verdict or NOT_JUDGED,
            f"{change.verdict or NOT_JUDGED} ({change.reason})",
        )
        for change in stream.changes
    )
