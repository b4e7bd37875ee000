"""`--report FILE.html`: a run as one self-contained page of charts and findings.

Pure: `render_html` turns a `ReportHistory` and the run's `FindingsLog` into text. The page
needs no network to open: inline CSS and SVG drawn here, no script, font or image to fetch.
Every text taken from the data (device names, streams, messages) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from ska_tango_event_monitor.findings import Severity
from ska_tango_event_monitor.names import short_name
from ska_tango_event_monitor.statistics import PERCENTILE_MIN_SAMPLES
from ska_tango_event_monitor.summary import FindingsLog, RecurringFinding
from ska_tango_event_monitor.timeseries import (
    FindingMark,
    Point,
    ReportHistory,
    Series,
    ServerHistory,
)

# Distinct hues that stay readable on white; the same attribute keeps its colour.
PALETTE = (
    "#2563eb",
    "#ea580c",
    "#059669",
    "#9333ea",
    "#0891b2",
    "#db2777",
    "#854d0e",
    "#4d7c0f",
    "#475569",
)
SEVERITY_COLOURS = {  # text/marker, row background
    Severity.ERROR: ("#c81e1e", "#fdeaea"),
    Severity.WARNING: ("#b45309", "#fef3e2"),
    Severity.INFO: ("#1d4ed8", "#e8effc"),
}
MAX_LINES = 8  # per chart: the lines with the highest peaks
MAX_COMPARED = 4  # processed lines shown with the publisher's pushed rate beside them
_TIME_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)

# Chart geometry, in SVG user units (the chart scales to its column).
_W, _H = 640, 236
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 18, 12, 50
_PLOT_W, _PLOT_H = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
_STRIP_W, _STRIP_H = 260, 20  # the "when" column of the findings table


def render_html(history: ReportHistory, findings: FindingsLog, title: str) -> str:
    """The whole page; `findings` is the log the run kept of the same reports."""
    axis = TimeAxis.of(history.times) if history.times else None
    colours = _Colours()
    sections = [
        _header(history, findings, title),
        _findings_section(history, findings, axis),
        *(_server_section(s, history, axis, colours) for s in history.servers.values()),
    ]
    return _PAGE.format(title=escape(title), css=_CSS, body="\n".join(sections))


@dataclass(frozen=True)
class TimeAxis:
    """The run's time span, shared by every chart so that they line up."""

    start: datetime
    offsets: tuple[float, ...]  # of each snapshot, seconds since the first
    low: float
    high: float

    @classmethod
    def of(cls, times: Sequence[datetime]) -> TimeAxis:
        offsets = tuple((t - times[0]).total_seconds() for t in times)
        first, last = min(offsets), max(offsets)
        pad = (last - first) * 0.02 if last > first else 1.0
        return cls(times[0], offsets, first - pad, last + pad)

    def fraction(self, index: int) -> float:
        return (self.offsets[index] - self.low) / (self.high - self.low)

    def ticks(self, most: int) -> list[tuple[float, str]]:
        """(fraction, clock time) at round times, at most `most` of them."""
        span = self.high - self.low
        step = next((s for s in _TIME_STEPS_S if span / s <= most), None)
        step = step or 86400 * math.ceil(span / 86400 / most)
        midnight = self.start.replace(hour=0, minute=0, second=0, microsecond=0)
        base = (self.start - midnight).total_seconds()
        fmt = "%H:%M:%S" if step < 60 else ("%H:%M" if step < 86400 else "%d %b")
        first = math.ceil((base + self.low) / step) * step
        count = int((base + self.high - first) // step) + 1
        return [
            ((first + i * step - base - self.low) / span, _clock(midnight, first + i * step, fmt))
            for i in range(max(count, 0))
        ]

    def time_text(self, index: int) -> str:
        return (self.start + timedelta(seconds=self.offsets[index])).strftime("%H:%M:%S")


def _clock(midnight: datetime, seconds: float, fmt: str) -> str:
    return (midnight + timedelta(seconds=seconds)).strftime(fmt)


# --- charts ---


@dataclass(frozen=True)
class Line:
    key: str  # stream key or attribute
    label: str
    series: Series
    colour: str
    dashed: bool = False


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str  # of the values, shown on the y axis
    lines: tuple[Line, ...]
    note: str = ""


@dataclass(frozen=True)
class _Frame:
    """Values and snapshots to SVG coordinates."""

    axis: TimeAxis
    top: float  # value at the top of the plot

    def x(self, index: int) -> float:
        return _LEFT + self.axis.fraction(index) * _PLOT_W

    def y(self, value: float) -> float:
        return _TOP + _PLOT_H * (1 - value / self.top)


def _chart_figure(chart: Chart, axis: TimeAxis, marks: list[_Mark], failed: list[int]) -> str:
    top, ticks = _value_ticks(max(line.series.peak for line in chart.lines))
    frame = _Frame(axis, top)
    svg = [
        f'<svg class="plot" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-label="{escape(chart.title)}">',
        *_no_reply_bands(frame, failed),
        *_value_grid(frame, ticks, chart.unit),
        *_time_grid(frame),
        *(part for line in chart.lines for part in _line_parts(frame, line, chart.unit)),
        *_marks(frame, marks),
        "</svg>",
    ]
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    return (
        f'<figure class="chart"><figcaption>{escape(chart.title)} '
        f'<span class="unit">[{escape(chart.unit)}]</span></figcaption>'
        f"{''.join(svg)}{_legend(chart.lines, bool(failed), bool(marks))}{note}</figure>"
    )


def _value_ticks(peak: float) -> tuple[float, list[float]]:
    """A round top above `peak` and 3 to 6 ticks from 0 to it."""
    if peak <= 0:
        return 1.0, [0.0, 0.5, 1.0]
    raw = peak / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    count = math.ceil(peak / step - 1e-9)
    return step * count, [step * i for i in range(count + 1)]


def _number(value: float, step: float) -> str:
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * step), 6)
    return f"{value:.{decimals}f}"


def _value_grid(frame: _Frame, ticks: list[float], unit: str) -> list[str]:
    step = ticks[1] - ticks[0]
    parts = []
    for value in ticks:
        y = frame.y(value)
        parts.append(
            f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value, step)}</text>"
        )
    middle = _TOP + _PLOT_H / 2
    parts.append(
        f'<text class="axis-title" transform="translate(16 {middle:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(unit)}</text>'
    )
    return parts


def _time_grid(frame: _Frame) -> list[str]:
    bottom = _TOP + _PLOT_H
    parts = [
        f'<line class="axis" x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{_LEFT}" y1="{bottom}" x2="{_W - _RIGHT}" y2="{bottom}"/>',
    ]
    for fraction, text in frame.axis.ticks(7):
        x = _LEFT + fraction * _PLOT_W
        parts += [
            f'<line class="grid minor" x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{bottom}"/>',
            f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>',
            f'<text class="tick" x="{x:.1f}" y="{bottom + 24}" text-anchor="middle">{text}</text>',
        ]
    parts.append(
        f'<text class="axis-title" x="{_LEFT + _PLOT_W / 2:.1f}" y="{_H - 6}" '
        'text-anchor="middle">time</text>'
    )
    return parts


def _segments(points: Sequence[Point]) -> list[list[Point]]:
    """Runs of consecutive snapshots: a snapshot without a value breaks the line."""
    segments: list[list[Point]] = []
    for index, value in points:
        if not segments or index != segments[-1][-1][0] + 1:
            segments.append([])
        segments[-1].append((index, value))
    return segments


def _line_parts(frame: _Frame, line: Line, unit: str) -> list[str]:
    dash = ' stroke-dasharray="7 4"' if line.dashed else ""
    parts = []
    for segment in _segments(line.series.points):
        if len(segment) > 1:
            xy = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in segment)
            parts.append(f'<polyline class="series" points="{xy}" stroke="{line.colour}"{dash}/>')
    dots = len(line.series.points) <= 60
    for segment in _segments(line.series.points):
        for index, value in segment if dots or len(segment) == 1 else ():
            tip = f"{frame.axis.time_text(index)} {line.label}: {value:.4g} {unit}"
            parts.append(
                f'<circle cx="{frame.x(index):.1f}" cy="{frame.y(value):.1f}" r="3.2" '
                f'fill="{"#fff" if line.dashed else line.colour}" stroke="{line.colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    return parts


def _no_reply_bands(frame: _Frame, failed: list[int]) -> list[str]:
    """A grey band over each poll the server did not answer, half way to its neighbours."""
    last = len(frame.axis.offsets) - 1
    parts = []
    for index in failed:
        left = (frame.x(index - 1) + frame.x(index)) / 2 if index > 0 else _LEFT
        right = (frame.x(index) + frame.x(index + 1)) / 2 if index < last else _W - _RIGHT
        tip = f"{frame.axis.time_text(index)}: no reply"
        parts.append(
            f'<rect class="no-reply" x="{left:.1f}" y="{_TOP}" width="{right - left:.1f}" '
            f'height="{_PLOT_H}"><title>{tip}</title></rect>'
        )
    return parts


@dataclass(frozen=True)
class _Mark:
    """The findings raised about one server at one snapshot."""

    index: int
    severity: Severity
    text: str


def _server_marks(marks: Iterable[FindingMark], server: str) -> list[_Mark]:
    by_index: dict[int, list[FindingMark]] = {}
    for mark in marks:
        if mark.server == server:
            by_index.setdefault(mark.index, []).append(mark)
    return [
        _Mark(
            index,
            max(m.severity for m in raised),
            "\n".join(f"{m.severity} {m.kind} {m.stream or ''}".rstrip() for m in raised),
        )
        for index, raised in sorted(by_index.items())
    ]


def _marks(frame: _Frame, marks: list[_Mark]) -> list[str]:
    """Triangles under the time axis where findings were raised."""
    y = _TOP + _PLOT_H + 2
    return [
        f'<path d="M{frame.x(m.index):.1f} {y}l5 9h-10z" fill="{SEVERITY_COLOURS[m.severity][0]}">'
        f"<title>{frame.axis.time_text(m.index)}\n{escape(m.text)}</title></path>"
        for m in marks
    ]


def _legend(lines: Sequence[Line], no_reply: bool, marks: bool) -> str:
    items = [
        f'<li><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" '
        f'stroke="{line.colour}" stroke-width="2.5"{_DASH if line.dashed else ""}/></svg>'
        f"{escape(line.label)}</li>"
        for line in lines
    ]
    if no_reply:
        items.append('<li><span class="swatch no-reply"></span>no reply</li>')
    if marks:
        items.append(f'<li><span class="tri" style="color:{_WARN}">▲</span>findings raised</li>')
    return f'<ul class="legend">{"".join(items)}</ul>'


_WARN = SEVERITY_COLOURS[Severity.WARNING][0]
_DASH = ' stroke-dasharray="6 3"'


class _Colours:
    """One colour per attribute in every chart (a stream's events and its processing time),
    another when two lines of one chart would share it."""

    def __init__(self) -> None:
        self._by_attribute: dict[str, str] = {}

    def pick(self, keys: Sequence[str]) -> list[str]:
        """For stream keys (`foo/bar/hw/position.change`) or attribute names (`position`)."""
        picked: list[str] = []
        for key in keys:
            colour = self._colour(key.partition(".")[0].lower())
            if colour in picked:
                colour = next((c for c in PALETTE if c not in picked), colour)
            picked.append(colour)
        return picked

    def _colour(self, attribute: str) -> str:
        if "/" not in attribute:  # a bare name: the colour of the one attribute so named
            named = [a for a in self._by_attribute if a.rpartition("/")[2] == attribute]
            attribute = named[0] if len(named) == 1 else attribute
        if attribute not in self._by_attribute:
            self._by_attribute[attribute] = PALETTE[len(self._by_attribute) % len(PALETTE)]
        return self._by_attribute[attribute]


# --- one section per server ---


def _server_section(
    server: ServerHistory, history: ReportHistory, axis: TimeAxis | None, colours: _Colours
) -> str:
    polls = server.answered + len(server.failed)
    status = f"answered {server.answered} of {polls} poll(s)"
    if server.last_error is not None:
        status += f"; last error: {escape(server.last_error)}"
    charts = [c for c in _server_charts(server, history, colours) if c.lines]
    if axis is None or not charts:
        body = (
            '<p class="empty">Nothing to plot: event rates need two answered polls, '
            "latency and processing time need performance samples (--monitor).</p>"
        )
    else:
        marks = _server_marks(history.marks, short_name(server.admin))
        body = "".join(_chart_figure(c, axis, marks, server.failed) for c in charts)
        body = f'<div class="charts">{body}</div>'
    return (
        f'<section class="server"><h2>{escape(server.title or short_name(server.admin))}</h2>'
        f'<p class="meta">{status}</p>{body}</section>'
    )


def _server_charts(
    server: ServerHistory, history: ReportHistory, colours: _Colours
) -> list[Chart]:
    return [
        _chart("Events pushed per second", "events/s", server.pushed, colours),
        _processed_chart(server, history, colours),
        _chart(
            "Backlog: events pushed, not yet received",
            "events",
            server.backlog,
            colours,
            lambda key: _from(server, key),
        ),
        _latency_chart(server),
        _chart("Processing time per event (mean)", "ms", server.processing_ms, colours),
    ]


def _chart(
    title: str,
    unit: str,
    series: dict[str, Series],
    colours: _Colours,
    label: Callable[[str], str] = str,
) -> Chart:
    shown = _loudest(series)
    lines = tuple(
        Line(key, label(key), series[key], colour)
        for key, colour in zip(shown, colours.pick(shown), strict=True)
    )
    hidden = len(series) - len(shown)
    return Chart(title, unit, lines, f"{hidden} quieter line(s) not shown" if hidden else "")


def _loudest(series: dict[str, Series]) -> list[str]:
    """The keys of the lines with the highest peaks, in key order."""
    loudest = sorted(series, key=lambda key: -series[key].peak)[:MAX_LINES]
    return sorted(key for key in loudest if series[key].points)


def _from(server: ServerHistory, key: str) -> str:
    publisher = server.publisher_of.get(key)
    return key if publisher is None else f"{key} from {short_name(publisher)}"


def _processed_chart(server: ServerHistory, history: ReportHistory, colours: _Colours) -> Chart:
    """Processed (solid) with what the publisher pushed on the same stream (dashed)."""
    chart = _chart("Events processed per second", "events/s", server.processed, colours)
    if len(chart.lines) > MAX_COMPARED:
        return chart
    lines: list[Line] = []
    for line in chart.lines:
        lines.append(line)
        publisher = history.servers.get(server.publisher_of.get(line.key, ""))
        pushed = publisher.pushed.get(line.key) if publisher else None
        if publisher is not None and pushed is not None and pushed.points:
            label = f"{line.key} pushed by {short_name(publisher.admin)}"
            lines.append(Line(line.key, label, pushed, line.colour, dashed=True))
    return Chart(chart.title, chart.unit, tuple(lines), chart.note)


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


# --- header and findings ---


def _header(history: ReportHistory, log: FindingsLog, title: str) -> str:
    if history.times:
        first, last = min(history.times), max(history.times)
        span = (last - first).total_seconds()
        what = (
            f"{len(history.times)} snapshot(s) from {first:%Y-%m-%d %H:%M:%S} "
            f"to {last:%Y-%m-%d %H:%M:%S} ({_duration(span)}), {len(history.servers)} server(s)"
        )
    else:
        what = "No snapshots were recorded."
    worst = f" · worst finding: {_badge(log.worst)}" if log.worst is not None else ""
    guide = (
        '<p class="guide">Charts share the time axis. Dashed: the publisher\'s rate on the same '
        "stream, or the 90th percentile. ▲ under the axis: findings raised (colour: severity); "
        "grey band: no reply.</p>"
        if history.times
        else ""
    )
    return f'<header><h1>{escape(title)}</h1><p class="meta">{what}{worst}</p>{guide}</header>'


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def _badge(severity: Severity) -> str:
    colour = SEVERITY_COLOURS[severity][0]
    return f'<span class="badge" style="background:{colour}">{severity}</span>'


def _findings_section(history: ReportHistory, log: FindingsLog, axis: TimeAxis | None) -> str:
    if not log.entries:
        text = (
            f"None: nothing unusual was seen in {log.snapshots} snapshot(s)."
            if history.analysed or log.snapshots
            else "No findings: the run was not analysed."
        )
        return f'<section class="findings"><h2>Findings</h2><p class="empty">{text}</p></section>'
    by_key: dict[tuple[str, str, str | None], list[FindingMark]] = {}
    for mark in history.marks:
        by_key.setdefault(mark.key, []).append(mark)
    head = "".join(
        f"<th>{h}</th>" for h in ("Severity", "Finding", "Where", "Evidence (worst seen)", "Seen")
    )
    when = _strip_axis(axis) if axis else ""
    rows = "".join(_finding_row(e, by_key.get(_key(e), []), axis) for e in log.entries)
    return (
        f'<section class="findings"><h2>Findings</h2>'
        f'<table class="findings"><thead><tr>{head}<th class="when">When{when}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _key(entry: RecurringFinding) -> tuple[str, str, str | None]:
    return (entry.last.kind, entry.last.server, entry.last.stream)


def _finding_row(entry: RecurringFinding, marks: list[FindingMark], axis: TimeAxis | None) -> str:
    finding = entry.worst
    where = escape(finding.server)
    if finding.stream:
        where += f'<br><span class="stream">{escape(finding.stream)}</span>'
    seen = f"{entry.snapshots}×, {entry.first_time:%H:%M:%S}" + (
        f"–{entry.last_time:%H:%M:%S}" if entry.last_time != entry.first_time else ""
    )
    cells = [
        _badge(entry.severity),
        escape(finding.kind),
        where,
        escape(finding.message),
        seen,
        _strip(axis, marks) if axis else "",
    ]
    tds = "".join(f"<td>{cell}</td>" for cell in cells)
    return f'<tr style="background:{SEVERITY_COLOURS[entry.severity][1]}">{tds}</tr>'


def _strip_axis(axis: TimeAxis) -> str:
    labels = "".join(
        f'<text class="tick" x="{f * _STRIP_W:.1f}" y="14" text-anchor="middle">{t}</text>'
        for f, t in axis.ticks(4)
    )
    return f'<svg class="strip" viewBox="-30 0 {_STRIP_W + 60} 18">{labels}</svg>'


def _strip(axis: TimeAxis, marks: list[FindingMark]) -> str:
    """The snapshots at which one finding was raised, on the run's time axis."""
    grid = "".join(
        f'<line class="grid" x1="{f * _STRIP_W:.1f}" y1="0" x2="{f * _STRIP_W:.1f}" '
        f'y2="{_STRIP_H}"/>'
        for f, _ in axis.ticks(4)
    )
    dots = "".join(
        f'<rect x="{axis.fraction(m.index) * _STRIP_W - 3:.1f}" y="4" width="6" height="12" '
        f'rx="1.5" fill="{SEVERITY_COLOURS[m.severity][0]}">'
        f"<title>{axis.time_text(m.index)} {m.severity}</title></rect>"
        for m in marks
    )
    baseline = (
        f'<line class="axis" x1="0" y1="{_STRIP_H - 2}" x2="{_STRIP_W}" y2="{_STRIP_H - 2}"/>'
    )
    return (
        f'<svg class="strip" viewBox="-30 0 {_STRIP_W + 60} {_STRIP_H}">'
        f"{grid}{baseline}{dots}</svg>"
    )


_CSS = """
:root { color-scheme: light; }
body { margin: 0; padding: 24px 32px; background: #f4f6f9; color: #1f2933;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 2px; }
.meta { margin: 0 0 6px; color: #52606d; }
.guide { margin: 0 0 16px; color: #52606d; font-size: 13px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px;
  padding: 16px 20px; margin: 0 0 20px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr));
  gap: 18px 28px; margin-top: 10px; }
figure.chart { margin: 0; }
figcaption { font-weight: 600; margin: 0 0 2px; }
.unit { font-weight: 400; color: #52606d; }
svg.plot { display: block; width: 100%; height: auto; }
svg text { fill: #3e4c59; font-family: inherit; }
svg .tick { font-size: 12px; }
svg .axis-title { font-size: 12px; font-style: italic; }
svg .grid { stroke: #e4e7eb; stroke-width: 1; }
svg .grid.minor { stroke: #f0f2f5; }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
svg circle { stroke-width: 1.6; }
svg .no-reply { fill: #cbd2d9; fill-opacity: 0.45; }
.legend { list-style: none; margin: 2px 0 0 40px; padding: 0; display: flex;
  flex-wrap: wrap; gap: 2px 18px; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; height: 10px; }
.swatch.no-reply { background: #cbd2d9; opacity: 0.8; }
.tri { font-size: 11px; }
.note, .empty { color: #52606d; font-style: italic; margin: 4px 0 0; }
table.findings { border-collapse: collapse; width: 100%; margin-top: 8px; }
table.findings th { text-align: left; font-weight: 600; color: #52606d;
  border-bottom: 2px solid #dde3ea; padding: 4px 8px; vertical-align: bottom; }
table.findings td { padding: 6px 8px; border-bottom: 1px solid #fff; vertical-align: top; }
.stream { color: #52606d; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 4px; color: #fff;
  font-size: 12px; font-weight: 700; letter-spacing: 0.03em; }
th.when, td:last-child { width: 280px; }
table.findings td:nth-child(5) { white-space: nowrap; }
svg.strip { display: block; width: 280px; height: auto; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<footer class="meta">Made by ska-tango-event-monitor --report.</footer>
</body>
</html>
"""
