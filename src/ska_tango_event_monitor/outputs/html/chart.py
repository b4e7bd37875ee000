"""One chart of the HTML report as an SVG figure: grids, lines, no-reply bands, finding marks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.outputs.html.axes import time_grid, value_grid, value_ticks
from ska_tango_event_monitor.outputs.html.frame import (
    HEIGHT,
    LEFT,
    PLOT_HEIGHT,
    RIGHT,
    TOP,
    WIDTH,
    Frame,
)
from ska_tango_event_monitor.outputs.html.history import FindingMark
from ska_tango_event_monitor.outputs.html.lines import Line, legend, line_parts, pin_parts
from ska_tango_event_monitor.outputs.html.style import SEVERITY_COLOURS
from ska_tango_event_monitor.outputs.html.time_axis import TimeAxis


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str  # of the values, shown on the y axis
    lines: tuple[Line, ...]
    note: str = ""
    flat: int = 0  # lines left out because they stayed at 0
    hollow_means: str = ""  # the legend's words for a hollow dot (a line's lower bound)
    pin_order: tuple[str, ...] = ()  # the pins' names, in the legend's order

    @property
    def drawn(self) -> bool:
        """Something to show: lines, or the sentence saying that they all stayed at 0."""
        return bool(self.lines or self.flat)


@dataclass(frozen=True)
class Mark:
    """The findings raised about one server at one snapshot."""

    index: int
    severity: Severity
    text: str


def chart_figure(chart: Chart, axis: TimeAxis, marks: list[Mark], failed: list[int]) -> str:
    caption = (
        f'<figcaption>{escape(chart.title)} <span class="unit">[{escape(chart.unit)}]</span>'
        "</figcaption>"
    )
    if not chart.lines:  # a grid of flat lines would only hide that nothing happened
        return (
            f'<figure class="chart flat">{caption}<p class="note">All {chart.flat} line(s) '
            "stayed at 0 in every poll: nothing to draw.</p></figure>"
        )
    top, ticks = value_ticks(max(line.series.peak for line in chart.lines))
    frame = Frame(axis, top)
    svg = [
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(chart.title)}">',
        *_no_reply_bands(frame, failed),
        *value_grid(frame, ticks, chart.unit),
        *time_grid(frame),
        *(part for line in chart.lines for part in line_parts(frame, line, chart.unit)),
        *(part for line in chart.lines for part in pin_parts(frame, line)),
        *_marks(frame, marks),
        "</svg>",
    ]
    note = f'<p class="note">{escape(chart.note)}</p>' if chart.note else ""
    key = legend(chart.lines, bool(failed), bool(marks), chart.hollow_means, chart.pin_order)
    return f'<figure class="chart">{caption}{"".join(svg)}{key}{note}</figure>'


def _no_reply_bands(frame: Frame, failed: list[int]) -> list[str]:
    """A grey band over each poll the server did not answer, half way to its neighbours."""
    last = len(frame.axis.offsets) - 1
    parts = []
    for index in failed:
        left = (frame.x(index - 1) + frame.x(index)) / 2 if index > 0 else LEFT
        right = (frame.x(index) + frame.x(index + 1)) / 2 if index < last else WIDTH - RIGHT
        tip = f"{frame.axis.time_text(index)}: no reply"
        parts.append(
            f'<rect class="no-reply" x="{left:.1f}" y="{TOP}" width="{right - left:.1f}" '
            f'height="{PLOT_HEIGHT}"><title>{tip}</title></rect>'
        )
    return parts


def server_marks(marks: Iterable[FindingMark], server: str) -> list[Mark]:
    by_index: dict[int, list[FindingMark]] = {}
    for mark in marks:
        if mark.server == server:
            by_index.setdefault(mark.index, []).append(mark)
    return [
        Mark(
            index,
            max(m.severity for m in raised),
            "\n".join(f"{m.severity} {m.kind} {m.stream or ''}".rstrip() for m in raised),
        )
        for index, raised in sorted(by_index.items())
    ]


def _marks(frame: Frame, marks: list[Mark]) -> list[str]:
    """Triangles under the time axis where findings were raised."""
    y = TOP + PLOT_HEIGHT + 2
    return [
        f'<path d="M{frame.x(m.index):.1f} {y}l5 9h-10z" fill="{SEVERITY_COLOURS[m.severity][0]}">'
        f"<title>{frame.axis.time_text(m.index)}\n{escape(m.text)}</title></path>"
        for m in marks
    ]
