"""The lines of a chart: polylines with a dot per snapshot, and the legend that names them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.outputs.html.frame import Frame
from ska_tango_event_monitor.outputs.html.history import Point, Series
from ska_tango_event_monitor.outputs.html.style import SEVERITY_COLOURS

MAX_DOTS = 60  # points on a line beyond which only lone points get a dot
_WARN = SEVERITY_COLOURS[Severity.WARNING][0]
_DASH = ' stroke-dasharray="6 3"'


@dataclass(frozen=True)
class Line:
    key: str  # stream key or attribute
    label: str
    series: Series
    colour: str
    dashed: bool = False


def _segments(points: Sequence[Point]) -> list[list[Point]]:
    """Runs of consecutive snapshots: a snapshot without a value breaks the line."""
    segments: list[list[Point]] = []
    for index, value in points:
        if not segments or index != segments[-1][-1][0] + 1:
            segments.append([])
        segments[-1].append((index, value))
    return segments


def line_parts(frame: Frame, line: Line, unit: str) -> list[str]:
    dash = ' stroke-dasharray="7 4"' if line.dashed else ""
    parts = []
    for segment in _segments(line.series.points):
        if len(segment) > 1:
            xy = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in segment)
            parts.append(f'<polyline class="series" points="{xy}" stroke="{line.colour}"{dash}/>')
    dots = len(line.series.points) <= MAX_DOTS
    for segment in _segments(line.series.points):
        for index, value in segment if dots or len(segment) == 1 else ():
            tip = f"{frame.axis.time_text(index)} {line.label}: {value:.4g} {unit}"
            parts.append(
                f'<circle cx="{frame.x(index):.1f}" cy="{frame.y(value):.1f}" r="3.2" '
                f'fill="{"#fff" if line.dashed else line.colour}" stroke="{line.colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    return parts


def legend(lines: Sequence[Line], no_reply: bool, marks: bool) -> str:
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
