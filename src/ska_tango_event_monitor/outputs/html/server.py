"""One section of the HTML report per server: its status and its charts."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.statistics import PERCENTILE_MIN_SAMPLES
from ska_tango_event_monitor.outputs.html.channels import connections
from ska_tango_event_monitor.outputs.html.chart import Chart, chart_figure, server_marks
from ska_tango_event_monitor.outputs.html.colours import Colours
from ska_tango_event_monitor.outputs.html.history import ReportHistory, Series, ServerHistory
from ska_tango_event_monitor.outputs.html.lines import Line
from ska_tango_event_monitor.outputs.html.style import PALETTE
from ska_tango_event_monitor.outputs.html.time_axis import TimeAxis

MAX_LINES = 8  # per chart: the lines that went furthest from 0 (by name among equals)
MAX_COMPARED = 4  # processed lines shown with the publisher's pushed rate beside them


def server_section(
    server: ServerHistory, history: ReportHistory, axis: TimeAxis | None, colours: Colours
) -> str:
    polls = server.answered + len(server.failed)
    status = f"answered {server.answered} of {polls} poll(s)"
    if server.last_error is not None:
        status += f"; last error: {escape(server.last_error)}"
    charts = [c for c in _server_charts(server, history, colours) if c.drawn]
    if axis is None or not charts:
        body = (
            '<p class="empty">Nothing to plot: event rates need two answered polls, '
            "latency, processing time and wake-ups need performance samples (--monitor).</p>"
        )
    else:
        marks = server_marks(history.marks, server.admin)
        body = "".join(chart_figure(c, axis, marks, server.failed) for c in charts)
        body = f'<div class="charts">{body}</div>'
    return (
        f'<section class="server"><h2>{escape(server.title or short_name(server.admin))}</h2>'
        f'<p class="meta">{status}</p>{body}{connections(server)}</section>'
    )


def _server_charts(server: ServerHistory, history: ReportHistory, colours: Colours) -> list[Chart]:
    return [
        streams_chart("Events pushed per second", "events/s", server.pushed, colours),
        _processed_chart(server, history, colours),
        streams_chart(
            "Backlog: events pushed, not yet received",
            "events",
            server.backlog,
            colours,
            lambda key: _from(server, key),
        ),
        _latency_chart(server),
        streams_chart("Processing time per event (mean)", "ms", server.processing_ms, colours),
        _wake_chart(server),
    ]


def streams_chart(
    title: str,
    unit: str,
    series: dict[str, Series],
    colours: Colours,
    label: Callable[[str], str] = str,
    loudness: Callable[[str], float] | None = None,
) -> Chart:
    """The `MAX_LINES` loudest lines; those that stayed at 0 are counted, not drawn."""
    loudness = loudness or (lambda key: series[key].loudness)
    moved = [key for key in series if series[key].points and loudness(key) > 0]
    shown = _loudest(moved, loudness)
    lines = tuple(
        Line(key, label(key), series[key], colour)
        for key, colour in zip(shown, colours.pick(shown), strict=True)
    )
    hidden = len(moved) - len(shown)
    flat = sum(1 for line in series.values() if line.points) - len(moved)
    notes = [f"{hidden} quieter line(s) not shown"] if hidden else []
    if flat and lines:
        notes.append(f"{flat} line(s) at 0 throughout not drawn")
    return Chart(title, unit, lines, "; ".join(notes), flat=flat)


def _loudest(keys: list[str], loudness: Callable[[str], float]) -> list[str]:
    """The keys of the lines furthest from 0, by name among equals; in key order."""
    return sorted(sorted(keys, key=lambda key: (-loudness(key), key))[:MAX_LINES])


def _from(server: ServerHistory, key: str) -> str:
    publisher = server.publisher_of.get(key)
    return key if publisher is None else f"{key} from {short_name(publisher)}"


def _processed_chart(server: ServerHistory, history: ReportHistory, colours: Colours) -> Chart:
    """Processed (solid) with what the publisher pushed on the same stream (dashed): a
    stream pushed but never processed is not a flat line to leave out."""

    def pushed(key: str) -> Series | None:
        publisher = history.servers.get(server.publisher_of.get(key, ""))
        return publisher.pushed.get(key) if publisher else None

    def loudness(key: str) -> float:
        other = pushed(key)
        return max(server.processed[key].loudness, other.loudness if other else 0.0)

    chart = streams_chart(
        "Events processed per second", "events/s", server.processed, colours, loudness=loudness
    )
    if len(chart.lines) > MAX_COMPARED:
        return chart
    lines: list[Line] = []
    for line in chart.lines:
        lines.append(line)
        rate = pushed(line.key)
        if rate is not None and rate.points:
            label = f"{line.key} pushed by {short_name(server.publisher_of[line.key])}"
            lines.append(Line(line.key, label, rate, line.colour, dashed=True))
    return Chart(chart.title, chart.unit, tuple(lines), chart.note, chart.flat)


def _latency_chart(server: ServerHistory) -> Chart:
    """Median and 90th percentile, in seconds (in ms while all stay under 0.1 s)."""
    median, p90 = server.latency_median, server.latency_p90
    if not median.points:
        return Chart("", "", ())
    unit, factor = ("s", 1.0) if max(median.peak, p90.peak) >= 0.1 else ("ms", 1e3)
    lines = [Line("median", "median", _scaled(median, factor), PALETTE[0])]
    if p90.points:
        label = "90th percentile"
        lines.append(Line("p90", label, _scaled(p90, factor), PALETTE[3], dashed=True))
    note = (
        ""
        if len(p90.points) == len(median.points)
        else f"90th percentile only where a poll had {PERCENTILE_MIN_SAMPLES[90]}+ samples"
    )
    return Chart("Callback latency: event sent to callback start", unit, tuple(lines), note)


def _scaled(series: Series, factor: float) -> Series:
    return Series([(index, value * factor) for index, value in series.points])


def _wake_chart(server: ServerHistory) -> Chart:
    """The median wake count of the event thread per event, poll by poll (churn shows)."""
    if not server.wake_median.points:
        return Chart("", "", ())
    line = Line("wake count", "median per poll", server.wake_median, PALETTE[0])
    note = "1: woken only by its events; more: woken by (un)subscriptions in this process"
    return Chart("Event thread wake-ups per event", "wakes", (line,), note)
