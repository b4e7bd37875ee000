"""What every drawing of the event graph says on an edge, and in which colour.

Streams between the same two servers are drawn as one edge listing them (the ring of 50
servers, three streams each, stays one arrow per pair): its colour is its worst stream's.
An edge is coloured by its verdict; without one, by the worst finding naming its subscriber
and stream (labelled with that finding's kind and severity, no verdict made up from it);
with neither it is grey, "not judged".
"""

from __future__ import annotations

from dataclasses import dataclass

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.core.graph import EventGraph, ServerNode, StreamEdge

NOT_JUDGED = "not judged"
GREY = "#8a96a3"
# worst last: the order in which a drawn edge takes its worst stream's colour
VERDICT_COLOURS = {
    "OK": "#059669",
    "RESET": "#2563eb",
    "FALLING BEHIND": "#d97706",
    "STOPPED": "#7c3aed",
    "STALLED": "#c81e1e",
}
FINDING_COLOURS = {
    Severity.INFO: "#1d4ed8",
    Severity.WARNING: "#b45309",
    Severity.ERROR: "#c81e1e",
}


@dataclass(frozen=True)
class DrawnEdge:
    """The streams from one publisher to one subscriber, drawn as one arrow."""

    publisher: str  # node id
    subscriber: str  # node id
    streams: tuple[StreamEdge, ...]

    @property
    def worst(self) -> StreamEdge:
        return max(self.streams, key=_badness)

    @property
    def colour(self) -> str:
        return colour(self.worst)

    @property
    def dashed(self) -> bool:
        """No stream of it is connected."""
        return not any(edge.connected for edge in self.streams)


def drawn_edges(graph: EventGraph) -> list[DrawnEdge]:
    """One per publisher and subscriber, in the graph's order (it sorts its edges so)."""
    grouped: dict[tuple[str, str], list[StreamEdge]] = {}
    for edge in graph.edges:
        grouped.setdefault((edge.publisher, edge.subscriber), []).append(edge)
    return [DrawnEdge(pub, sub, tuple(edges)) for (pub, sub), edges in grouped.items()]


def node_lines(node: ServerNode) -> list[str]:
    """`MyServer/hw`, then what is special about it: not monitored, no reply."""
    if node.device_only:
        return [node.name, "device, server unknown"]
    if not node.monitored:
        return [node.name, "not monitored"]
    return [node.name] if node.error is None else [node.name, "no reply"]


def title(graph: EventGraph) -> str:
    servers = sum(node.monitored for node in graph.nodes)
    if graph.time is None:
        return "Event graph: no snapshot was taken"
    return (
        f"Event graph at {graph.time:%Y-%m-%d %H:%M:%S}: {servers} server(s) monitored, "
        f"{len(graph.edges)} stream(s) received"
    )


def colour(edge: StreamEdge) -> str:
    if edge.verdict is not None:
        return VERDICT_COLOURS.get(edge.verdict, GREY)
    if edge.severity is not None:
        return FINDING_COLOURS[edge.severity]
    return GREY


def health(edge: StreamEdge) -> str:
    """`FALLING BEHIND`, `WARNING backlog` (a finding, no verdict yet) or `not judged`."""
    if edge.verdict is not None:
        return edge.verdict
    if edge.severity is not None:
        return f"{edge.severity} {', '.join(edge.findings)}"
    return NOT_JUDGED if edge.connected else "not connected"


def figures(edge: StreamEdge) -> str:
    """`1.5 of 2.0 ev/s, 12 behind, lag 3.4 s`: what is known of the stream, in numbers."""
    parts = []
    if edge.processed_per_s is not None and edge.pushed_per_s is not None:
        parts.append(f"{edge.processed_per_s:.1f} of {edge.pushed_per_s:.1f} ev/s")
    elif edge.processed_per_s is not None:
        parts.append(f"{edge.processed_per_s:.1f} ev/s")
    elif edge.pushed_per_s is not None:
        parts.append(f"{edge.pushed_per_s:.1f} ev/s pushed")
    if edge.backlog:
        parts.append(f"{edge.backlog} behind")
    if edge.lag_s is not None:
        parts.append(f"lag {edge.lag_s:.1f} s")  # in seconds, as the text report and --top
    return ", ".join(parts)


def stream_line(edge: StreamEdge) -> str:
    """One stream of an edge's label: `foo/bar/hw/position.change: 1.5 of 2.0 ev/s — OK`."""
    known = figures(edge)
    return f"{edge.stream}: {known + ' — ' if known else ''}{health(edge)}"


def rank(edge: StreamEdge) -> int:
    """0 grey, 1 OK, then worse: a verdict by its place in VERDICT_COLOURS; a finding without
    a verdict weighs about as one (WARNING as FALLING BEHIND, ERROR as STALLED)."""
    if edge.verdict is not None:
        verdicts = list(VERDICT_COLOURS)
        return verdicts.index(edge.verdict) + 1 if edge.verdict in verdicts else 0
    return 0 if edge.severity is None else _SEVERITY_RANK[edge.severity]


def _badness(edge: StreamEdge) -> tuple[int, int]:
    return (rank(edge), 0 if edge.connected else 1)


_SEVERITY_RANK = {Severity.INFO: 2, Severity.WARNING: 3, Severity.ERROR: 5}
