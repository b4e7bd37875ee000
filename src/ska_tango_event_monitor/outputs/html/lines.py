"""The lines of a chart: polylines with a dot per snapshot, and the legend that names them.

Each dot carries its snapshot and value (`data-snapshot`, `data-value`) beside its tooltip,
so that the drawn numbers can be read back exactly. A line may mark some of its points
hollow (an "at least" value) and pin markers on it (a verdict change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.outputs.html.frame import Frame
from ska_tango_event_monitor.outputs.html.series import Point, Series
from ska_tango_event_monitor.outputs.html.style import SEVERITY_COLOURS

MAX_DOTS = 60  # points on a line beyond which only lone points get a dot
_WARN = SEVERITY_COLOURS[Severity.WARNING][0]
_DASH = ' stroke-dasharray="6 3"'


@dataclass(frozen=True)
class Pin:
    """A diamond on a line at one snapshot, in a colour of its own (named in the legend)."""

    index: int
    colour: str
    name: str  # in the legend: `FALLING BEHIND`
    text: str  # its tooltip


@dataclass(frozen=True)
class Line:
    key: str  # stream key or attribute
    label: str
    series: Series
    colour: str
    dashed: bool = False
    hollow: frozenset[int] = frozenset()  # snapshots whose value is a lower bound
    hollow_note: str = ""  # what a hollow dot means, in the tooltip: `at least`
    pins: tuple[Pin, ...] = ()


def _segments(points: Sequence[Point]) -> list[list[Point]]:
    """Runs of consecutive snapshots: a snapshot without a value breaks the line."""
    segments: list[list[Point]] = []
    for index, value in points:
        if not segments or index != segments[-1][-1][0] + 1:
            segments.append([])
        segments[-1].append((index, value))
    return segments


def line_parts(frame: Frame, line: Line, unit: str) -> list[str]:
    """In a group named by the line's key (`data-key`)."""
    dash = ' stroke-dasharray="7 4"' if line.dashed else ""
    parts = [f'<g class="line" data-key="{escape(line.key)}">']
    for segment in _segments(line.series.points):
        if len(segment) > 1:
            xy = " ".join(f"{frame.x(i):.1f},{frame.y(v):.1f}" for i, v in segment)
            parts.append(f'<polyline class="series" points="{xy}" stroke="{line.colour}"{dash}/>')
    dots = len(line.series.points) <= MAX_DOTS
    for segment in _segments(line.series.points):
        for index, value in segment:
            if dots or len(segment) == 1 or index in line.hollow:  # a bound always shows
                parts.append(_dot(frame, line, unit, index, value))
    return [*parts, "</g>"]


def _dot(frame: Frame, line: Line, unit: str, index: int, value: float) -> str:
    hollow = line.dashed or index in line.hollow
    bound = f"{line.hollow_note} " if index in line.hollow and line.hollow_note else ""
    tip = f"{frame.axis.time_text(index)} {line.label}: {bound}{value:.4g} {unit}"
    return (
        f'<circle cx="{frame.x(index):.1f}" cy="{frame.y(value):.1f}" r="3.2" '
        f'fill="{"#fff" if hollow else line.colour}" stroke="{line.colour}" '
        f'data-snapshot="{index}" data-value="{float(value)!r}">'
        f"<title>{escape(tip)}</title></circle>"
    )


def pin_parts(frame: Frame, line: Line) -> list[str]:
    """Each pin on the line's value at its snapshot (on the time axis where it has none);
    drawn after every line, so that no line hides them; in a group named by the line's key."""
    if not line.pins:
        return []
    parts = [f'<g class="pins" data-key="{escape(line.key)}">']
    values = dict(line.series.points)
    for pin in line.pins:
        x, y = frame.x(pin.index), frame.y(values.get(pin.index, 0.0))
        tip = f"{frame.axis.time_text(pin.index)} {line.label}: {pin.text}"
        parts.append(
            f'<path class="pin" d="M{x:.1f} {y - 7:.1f}l7 7l-7 7l-7-7z" fill="{pin.colour}" '
            f'data-snapshot="{pin.index}"><title>{escape(tip)}</title></path>'
        )
    return [*parts, "</g>"]


def legend(
    lines: Sequence[Line],
    no_reply: bool,
    marks: bool,
    hollow_means: str = "",
    pin_order: Sequence[str] = (),
) -> str:
    """`hollow_means`: the legend's words for a hollow dot, where a line has one;
    `pin_order`: the pins' names in the order the legend lists them (others after)."""
    items = [
        f'<li><svg width="26" height="10"><line x1="1" y1="5" x2="25" y2="5" '
        f'stroke="{line.colour}" stroke-width="2.5"{_DASH if line.dashed else ""}/></svg>'
        f"{escape(line.label)}</li>"
        for line in lines
    ]
    if hollow_means and any(line.hollow for line in lines):
        items.append(
            '<li><svg width="12" height="12"><circle cx="6" cy="6" r="4" fill="#fff" '
            f'stroke="#52606d" stroke-width="1.6"/></svg>{escape(hollow_means)}</li>'
        )
    pins = {pin.name: pin.colour for line in lines for pin in line.pins}
    order = list(pin_order)
    for name in sorted(pins, key=lambda n: order.index(n) if n in order else len(order)):
        colour = pins[name]
        items.append(f'<li><span class="pin" style="color:{colour}">◆</span>{escape(name)}</li>')
    if no_reply:
        items.append('<li><span class="swatch no-reply"></span>no reply</li>')
    if marks:
        items.append(f'<li><span class="tri" style="color:{_WARN}">▲</span>findings raised</li>')
    return f'<ul class="legend">{"".join(items)}</ul>'
