"""The event graph as an inline SVG for the HTML report: no script, no link, no url().

Arrowheads are drawn as triangles (a marker would need url()); every text is escaped. On a
circle of more than eight servers only the edges worse than OK carry their label (twelve at
most, the worst first): every edge keeps its full label as a tooltip, and the report's
table under the picture lists every stream. In columns the labels are stacked beside the
servers (`edge_labels`).
"""

from __future__ import annotations

import math
from html import escape

from ska_tango_event_monitor.core.graph import EventGraph, ServerNode
from ska_tango_event_monitor.outputs.graph.edge_labels import (
    centred,
    column_blocks,
    draw_blocks,
    label_lines,
    room,
)
from ska_tango_event_monitor.outputs.graph.labels import (
    DrawnEdge,
    drawn_edges,
    node_lines,
    rank,
    stream_line,
)
from ska_tango_event_monitor.outputs.graph.layout import (
    BOX_HEIGHT,
    BOX_WIDTH,
    DOT_RADIUS,
    ROW_PITCH,
    Layout,
    Point,
    layout,
)

LABELLED_ON_CIRCLE = 8  # servers: up to this many, every edge is labelled
MAX_LABELS = 12  # on a larger circle, the worst edges only


def graph_svg(graph: EventGraph) -> str:
    edges = drawn_edges(graph)
    ids, pairs = [n.id for n in graph.nodes], [(e.publisher, e.subscriber) for e in edges]
    names = {node.id: node.name for node in graph.nodes}
    placed = layout(ids, pairs)
    if placed.circle or placed.vertical:
        labelled = _labelled(edges, placed)
        parts = [_edge(edge, placed) for edge in edges]
        parts += [_label(edge, placed, names) for edge in labelled]
    else:  # columns: the labels stacked beside the servers, rows spread to fit them
        blocks = column_blocks(edges, names)
        placed = layout(ids, pairs, row_pitch=max(ROW_PITCH, room(blocks) + 24))
        parts = [_edge(edge, placed) for edge in edges] + draw_blocks(blocks, placed)
    parts += [_node(node, placed) for node in graph.nodes]
    width, height = round(placed.width), round(placed.height)
    return (
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="event graph: {len(graph.nodes)} servers, {len(graph.edges)} streams">'
        + "".join(parts)
        + "</svg>"
    )


def _labelled(edges: list[DrawnEdge], placed: Layout) -> list[DrawnEdge]:
    if not placed.circle or len(placed.positions) <= LABELLED_ON_CIRCLE:
        return edges
    loud = [edge for edge in edges if rank(edge.worst) >= 2]  # worse than OK
    return sorted(loud, key=lambda e: -rank(e.worst))[:MAX_LABELS]


def _edge(edge: DrawnEdge, placed: Layout) -> str:
    start, c1, c2, end = _curve(edge, placed)
    colour = edge.colour
    dash = ' stroke-dasharray="6 4"' if edge.dashed else ""
    tooltip = "\n".join(stream_line(stream) for stream in edge.streams)
    return (
        f"<g><title>{escape(tooltip)}</title>"
        f'<path d="M{_xy(start)} C{_xy(c1)} {_xy(c2)} {_xy(end)}" stroke="{colour}"'
        f' class="stream"{dash}/>'
        f'<polygon points="{_arrowhead(c2, end)}" fill="{colour}"/></g>'
    )


def _label(edge: DrawnEdge, placed: Layout, names: dict[str, str]) -> str:
    """On a circle, inside it and naming the two servers; in rows, beside the arrow."""
    curve = _curve(edge, placed)
    if placed.vertical:
        x, y = _at(curve, 0.5)
        return centred(label_lines(edge), (x + 10, y), "start", edge.colour)
    point, anchor = _inside(placed, curve)
    route = f"{names[edge.publisher]} → {names[edge.subscriber]}"
    return centred(label_lines(edge, route), point, anchor, edge.colour)


def _node(node: ServerNode, placed: Layout) -> str:
    x, y = placed.positions[node.id]
    lines = node_lines(node)
    dash = ' stroke-dasharray="5 3"' if not node.monitored else ""
    kind = "server" if node.monitored else "server not-monitored"
    kind += " no-reply" if node.error is not None else ""
    tip = f"<title>{escape(node.id + ('' if node.error is None else ': ' + node.error))}</title>"
    if placed.circle:
        return f'<g class="{kind}">{tip}{_dot(x, y, dash)}{_radial_name(lines, placed, x, y)}</g>'
    box = (
        f'<rect x="{x - BOX_WIDTH / 2:.1f}" y="{y - BOX_HEIGHT / 2:.1f}" width="{BOX_WIDTH}" '
        f'height="{BOX_HEIGHT}" rx="6"{dash}/>'
    )
    first = y - (len(lines) - 1) * 7 + 4
    texts = "".join(
        f'<text x="{x:.1f}" y="{first + i * 14:.1f}" class="{"name" if i == 0 else "note"}">'
        f"{escape(line)}</text>"
        for i, line in enumerate(lines)
    )
    return f'<g class="{kind}">{tip}{box}{texts}</g>'


def _dot(x: float, y: float, dash: str) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{DOT_RADIUS}"{dash}/>'


def _radial_name(lines: list[str], placed: Layout, x: float, y: float) -> str:
    """Along the radius, outwards, never upside down (the left half reads inwards)."""
    cx, cy = placed.centre
    angle = math.degrees(math.atan2(y - cy, x - cx))
    flip = abs(angle) > 90
    distance = DOT_RADIUS + 6
    ux, uy = (x - cx), (y - cy)
    norm = math.hypot(ux, uy) or 1.0
    tx, ty = x + ux / norm * distance, y + uy / norm * distance
    rotation = angle + 180 if flip else angle
    anchor = "end" if flip else "start"
    text = " · ".join(lines)
    return (
        f'<text x="{tx:.1f}" y="{ty:.1f}" dy="4" style="text-anchor:{anchor}" class="name" '
        f'transform="rotate({rotation:.1f} {tx:.1f} {ty:.1f})">{escape(text)}</text>'
    )


def _curve(edge: DrawnEdge, placed: Layout) -> tuple[Point, Point, Point, Point]:
    """A cubic Bézier from the publisher to the subscriber, ends at the shapes' borders."""
    (x0, y0), (x3, y3) = placed.positions[edge.publisher], placed.positions[edge.subscriber]
    if edge.publisher == edge.subscriber:  # a server subscribing to itself: a loop above it
        lift = BOX_HEIGHT if not placed.circle else 4 * DOT_RADIUS
        top = y0 - (BOX_HEIGHT / 2 if not placed.circle else DOT_RADIUS)
        return (x0 - 12, top), (x0 - 40, top - lift), (x0 + 40, top - lift), (x0 + 12, top)
    if placed.circle:
        return _chord(placed, (x0, y0), (x3, y3))
    if placed.vertical:
        return _downward((x0, y0), (x3, y3))
    if abs(x3 - x0) < 1:  # the same column: a ring of two, around the right side
        side = x0 + BOX_WIDTH / 2
        bulge = side + 60
        return (side, y0), (bulge, y0), (bulge, y3), (side, y3)
    start, end = (x0 + BOX_WIDTH / 2, y0), (x3 - BOX_WIDTH / 2 - 2, y3)
    middle = (start[0] + end[0]) / 2
    return start, (middle, y0), (middle, y3), end


def _downward(a: Point, b: Point) -> tuple[Point, Point, Point, Point]:
    """From the bottom of the publisher to the top of the subscriber (rows by publish
    direction); within one row (a ring of two), around the bottom side."""
    if abs(b[1] - a[1]) < 1:
        side = a[1] + BOX_HEIGHT / 2
        return (a[0], side), (a[0], side + 50), (b[0], side + 50), (b[0], side + 2)
    start, end = (a[0], a[1] + BOX_HEIGHT / 2), (b[0], b[1] - BOX_HEIGHT / 2 - 2)
    middle = (start[1] + end[1]) / 2
    return start, (a[0], middle), (b[0], middle), end


def _chord(placed: Layout, a: Point, b: Point) -> tuple[Point, Point, Point, Point]:
    """Bowed toward the centre, so that A -> B and B -> A do not overlap (each bows to its
    own left of the way)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = dy / length, -dx / length  # to the left of the way
    bow = min(40.0, 0.25 * length)
    gap = DOT_RADIUS + 3
    start = (a[0] + dx / length * gap, a[1] + dy / length * gap)
    end = (b[0] - dx / length * (gap + 1), b[1] - dy / length * (gap + 1))
    c1 = (a[0] + dx / 3 + nx * bow, a[1] + dy / 3 + ny * bow)
    c2 = (a[0] + 2 * dx / 3 + nx * bow, a[1] + 2 * dy / 3 + ny * bow)
    return start, c1, c2, end


def _inside(placed: Layout, curve: tuple[Point, Point, Point, Point]) -> tuple[Point, str]:
    """Inside the circle, 20 px off the ring, reading toward the centre."""
    x, y = _at(curve, 0.5)
    cx, cy = placed.centre
    distance = math.hypot(cx - x, cy - y) or 1.0
    x, y = x + (cx - x) / distance * 20, y + (cy - y) / distance * 20
    side = (x - cx) / distance
    return (x, y), "start" if side < -0.3 else ("end" if side > 0.3 else "middle")


def _at(curve: tuple[Point, Point, Point, Point], t: float) -> Point:
    p0, p1, p2, p3 = curve
    a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
    return (
        a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
    )


def _arrowhead(before: Point, tip: Point) -> str:
    dx, dy = tip[0] - before[0], tip[1] - before[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    back = (tip[0] - ux * 9, tip[1] - uy * 9)
    left = (back[0] + uy * 4.5, back[1] - ux * 4.5)
    right = (back[0] - uy * 4.5, back[1] + ux * 4.5)
    return " ".join(_xy(p) for p in (tip, left, right))


def _xy(point: Point) -> str:
    return f"{point[0]:.1f},{point[1]:.1f}"
