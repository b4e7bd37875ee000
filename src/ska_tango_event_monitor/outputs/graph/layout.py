"""Where the HTML picture puts each server: deterministic, no layout engine.

Servers in a ring of subscriptions (the largest group in which each reaches every other by
its streams, of three servers or more and half of them at least) go on a circle in the order
the streams run; other graphs go in columns by publish direction: a server in the column
after the last of its publishers, so streams run left to right. Within a column, a server
sits near the middle of its publishers (one pass of barycentres), ties by the report's order.
A long chain (more than MAX_COLUMNS columns) is turned to run top to bottom instead, so that
the page scrolls down rather than sideways.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]

BOX_WIDTH, BOX_HEIGHT = 176, 38  # a server in columns
COLUMN_GAP, ROW_PITCH = 290, 84  # room for the edge labels between columns
DOT_RADIUS = 7  # a server on a circle
MARGIN = 24
MAX_COLUMNS = 4  # side by side; more are drawn as rows, top to bottom
ROW_GAP, SIDE_PITCH = 96, BOX_WIDTH + 280  # rows: room for the labels beside the arrows


@dataclass(frozen=True)
class Layout:
    circle: bool
    positions: dict[str, Point]  # centre of each server
    width: float
    height: float
    centre: Point = (0.0, 0.0)  # of the circle
    vertical: bool = False  # columns turned into rows: streams run downwards


def layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], row_pitch: float = ROW_PITCH
) -> Layout:
    """`edges`: (publisher, subscriber) pairs between `nodes`; `row_pitch`: between two
    servers of a column (their labels need room)."""
    successors: dict[str, list[str]] = {node: [] for node in nodes}
    for publisher, subscriber in edges:
        if publisher != subscriber and subscriber not in successors[publisher]:
            successors[publisher].append(subscriber)
    components = _strong_components(nodes, successors)
    largest = max(components, key=len, default=[])
    if len(largest) >= 3 and 2 * len(largest) >= len(nodes):
        return _circle(_walk(nodes, successors))
    return _columns(nodes, successors, components, row_pitch)


def _circle(order: list[str]) -> Layout:
    """Clockwise from the top; room outside for the names (drawn along the radius)."""
    count = len(order)
    radius = max(150.0, count * 38 / (2 * math.pi))
    outer = radius + 130  # dot and label
    centre = (outer + MARGIN, outer + MARGIN)
    positions = {
        node: (
            centre[0] + radius * math.sin(2 * math.pi * index / count),
            centre[1] - radius * math.cos(2 * math.pi * index / count),
        )
        for index, node in enumerate(order)
    }
    side = 2 * (outer + MARGIN)
    return Layout(True, positions, side, side, centre)


def _columns(
    nodes: Sequence[str],
    successors: dict[str, list[str]],
    components: list[list[str]],
    row_pitch: float,
) -> Layout:
    column = _columns_of(successors, components)
    order = {node: index for index, node in enumerate(nodes)}
    predecessors: dict[str, list[str]] = {node: [] for node in nodes}
    for node, following in successors.items():
        for subscriber in following:
            predecessors[subscriber].append(node)
    rows: dict[str, float] = {}
    columns = max(column.values(), default=0) + 1
    for index in range(columns):
        members = [node for node in nodes if column[node] == index]
        members.sort(key=lambda n: (_barycentre(predecessors[n], rows), order[n]))
        rows.update({node: float(row) for row, node in enumerate(members)})
    if columns > MAX_COLUMNS:
        return _rows(nodes, column, rows, columns)
    tallest = max((sum(1 for n in nodes if column[n] == i) for i in range(columns)), default=1)
    height = 2 * MARGIN + (tallest + 0.5) * row_pitch  # half a row on top: labels go above
    positions = {}
    for node in nodes:
        size = sum(1 for n in nodes if column[n] == column[node])
        top = (height - size * row_pitch) / 2 + row_pitch / 4  # each column centred
        x = MARGIN + BOX_WIDTH / 2 + column[node] * (BOX_WIDTH + COLUMN_GAP)
        positions[node] = (x, top + (rows[node] + 0.5) * row_pitch)
    width = 2 * MARGIN + columns * BOX_WIDTH + (columns - 1) * COLUMN_GAP
    return Layout(False, positions, width, height)


def _rows(
    nodes: Sequence[str], layer: dict[str, int], place: dict[str, float], layers: int
) -> Layout:
    widest = max(sum(1 for n in nodes if layer[n] == i) for i in range(layers))
    width = 2 * MARGIN + widest * SIDE_PITCH
    positions = {}
    for node in nodes:
        size = sum(1 for n in nodes if layer[n] == layer[node])
        left = (width - size * SIDE_PITCH) / 2 + (SIDE_PITCH - BOX_WIDTH) / 2 - 100
        x = max(MARGIN, left) + BOX_WIDTH / 2 + place[node] * SIDE_PITCH
        positions[node] = (x, MARGIN + BOX_HEIGHT / 2 + layer[node] * (BOX_HEIGHT + ROW_GAP))
    height = 2 * MARGIN + layers * BOX_HEIGHT + (layers - 1) * ROW_GAP
    return Layout(False, positions, width, height, vertical=True)


def _barycentre(publishers: list[str], rows: dict[str, float]) -> float:
    placed = [rows[p] for p in publishers if p in rows]
    return sum(placed) / len(placed) if placed else -1.0  # no publisher placed: on top


def _columns_of(successors: dict[str, list[str]], components: list[list[str]]) -> dict[str, int]:
    """The longest path of components before each (a ring of two shares a column)."""
    component = {node: index for index, members in enumerate(components) for node in members}
    depth = [0] * len(components)
    # Tarjan's algorithm gives the components subscribers first: publishers come last
    for index in reversed(range(len(components))):
        for node in components[index]:
            for subscriber in successors[node]:
                if component[subscriber] != index:
                    depth[component[subscriber]] = max(
                        depth[component[subscriber]], depth[index] + 1
                    )
    return {node: depth[component[node]] for node in component}


def _walk(nodes: Sequence[str], successors: dict[str, list[str]]) -> list[str]:
    """Depth first along the streams from the first server: a ring comes out in its order."""
    seen: dict[str, None] = {}
    for start in nodes:
        stack = [start]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen[node] = None
            stack.extend(reversed([s for s in successors[node] if s not in seen]))
    return list(seen)


def _strong_components(nodes: Sequence[str], successors: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's, without recursion (a facility may have hundreds of servers)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            following = successors[node]
            if child < len(following):
                work.append((node, child + 1))
                nxt = following[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                found.append(members)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found
