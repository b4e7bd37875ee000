"""The text on the picture's arrows: a line per stream (the worst first, three at most) and
their health. In columns, an arrow's label goes beside the end where fewer arrows meet (the
subscriber when a publisher feeds many, the publisher when many feed one subscriber), the
labels of one server stacked there, so that none lands on another."""

from __future__ import annotations

from collections import Counter
from html import escape

from ska_tango_event_monitor.core.graph import StreamEdge
from ska_tango_event_monitor.outputs.graph.labels import DrawnEdge, figures, health, rank
from ska_tango_event_monitor.outputs.graph.layout import BOX_WIDTH, Layout, Point

LINE = 13  # px between lines of a label
STREAMS_SHOWN = 3  # in an arrow's label; all of them in its tooltip
_GAP = 6  # px between two stacked labels

Block = tuple[DrawnEdge, list[str]]


def label_lines(edge: DrawnEdge, route: str | None = None) -> list[str]:
    streams = sorted(edge.streams, key=rank, reverse=True)
    lines = [] if route is None else [route]
    lines += [_stream_figures(stream) for stream in streams[:STREAMS_SHOWN]]
    if len(streams) > STREAMS_SHOWN:
        lines.append(f"+{len(streams) - STREAMS_SHOWN} more")
    lines.append(", ".join(dict.fromkeys(health(stream) for stream in streams)))
    return lines


def text(lines: list[str], x: float, top: float, anchor: str, colour: str) -> str:
    """`top`: the first line's baseline."""
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{top + i * LINE:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    style = f' style="text-anchor:{anchor}"' if anchor != "middle" else ""
    return f'<text class="edge-label" fill="{colour}"{style}>{spans}</text>'


def column_blocks(edges: list[DrawnEdge], names: dict[str, str]) -> dict[str, list[Block]]:
    """The labels stacked at each server, by the end each arrow's label goes to; a label
    among others names the server at the arrow's other end."""
    fan_out = Counter(edge.publisher for edge in edges)
    fan_in = Counter(edge.subscriber for edge in edges)
    ends = {
        edge: edge.subscriber
        if fan_in[edge.subscriber] <= fan_out[edge.publisher]
        else edge.publisher
        for edge in edges
    }
    count = Counter(ends.values())
    blocks: dict[str, list[Block]] = {}
    for edge, end in ends.items():
        route = None
        if count[end] > 1:
            route = (
                f"from {names[edge.publisher]}"
                if end == edge.subscriber
                else (f"to {names[edge.subscriber]}")
            )
        blocks.setdefault(end, []).append((edge, label_lines(edge, route)))
    return blocks


def room(blocks: dict[str, list[Block]]) -> float:
    """The height the tallest stack needs (above its server: see `draw_blocks`)."""
    return max((_height(stack) for stack in blocks.values()), default=0.0)


def draw_blocks(blocks: dict[str, list[Block]], placed: Layout) -> list[str]:
    drawn = []
    for node, stack in blocks.items():
        x, y = placed.positions[node]
        top = y - _height(stack) - 6 + LINE * 0.8  # above the arrows arriving at `y`
        for edge, lines in stack:
            at_subscriber = node == edge.subscriber
            side = x - BOX_WIDTH / 2 - 24 if at_subscriber else x + BOX_WIDTH / 2 + 14
            anchor = "end" if at_subscriber else "start"
            drawn.append(text(lines, side, top, anchor, edge.colour))
            top += len(lines) * LINE + _GAP
    return drawn


def centred(lines: list[str], at: Point, anchor: str, colour: str) -> str:
    return text(lines, at[0], at[1] - (len(lines) - 1) * LINE / 2 + 4, anchor, colour)


def _height(stack: list[Block]) -> float:
    return sum(len(lines) for _, lines in stack) * LINE + (len(stack) - 1) * _GAP


def _stream_figures(stream: StreamEdge) -> str:
    """`position.change: 1.5 of 2.0 ev/s, 12 behind`: the device is in the tooltip."""
    known = figures(stream)
    name = stream.stream.rpartition("/")[2]
    return f"{name}: {known}" if known else name
