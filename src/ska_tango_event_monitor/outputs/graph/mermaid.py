"""The event graph as a Mermaid flowchart (`--graph FILE.mmd`, or `FILE.md` for a page that
renders it: GitHub, GitLab, many chats)."""

from __future__ import annotations

from ska_tango_event_monitor.core.graph import EventGraph, ServerNode
from ska_tango_event_monitor.outputs.graph.labels import (
    GREY,
    drawn_edges,
    node_lines,
    stream_line,
    title,
)

_CLASSES = f"""\
  classDef notMonitored stroke-dasharray: 5 5,stroke:{GREY},color:{GREY}
  classDef noReply fill:#fdeaea"""


def render_mermaid(graph: EventGraph) -> str:
    ids = {node.id: f"n{index}" for index, node in enumerate(graph.nodes)}
    lines = [f"%% {title(graph)}", "flowchart LR"]
    lines += [_node(ids[node.id], node) for node in graph.nodes]
    styles = []
    for index, edge in enumerate(drawn_edges(graph)):
        label = "<br>".join(_escaped(stream_line(stream)) for stream in edge.streams)
        arrow = "-.->" if edge.dashed else "-->"
        lines.append(f'  {ids[edge.publisher]} {arrow}|"{label}"| {ids[edge.subscriber]}')
        styles.append(f"  linkStyle {index} stroke:{edge.colour},color:{edge.colour}")
    return "\n".join([*lines, _CLASSES, *styles, ""])


def render_mermaid_markdown(graph: EventGraph) -> str:
    """The flowchart in a fenced block, as a Markdown page shows it."""
    return f"```mermaid\n{render_mermaid(graph)}```\n"


def _node(node_id: str, node: ServerNode) -> str:
    label = "<br>".join(_escaped(line) for line in node_lines(node))
    style = ":::notMonitored" if not node.monitored else ""
    style = ":::noReply" if node.monitored and node.error is not None else style
    return f'  {node_id}["{label}"]{style}'


def _escaped(text: str) -> str:
    """Mermaid's entity codes for what would end a label or open markup (# first: the codes
    themselves start with it)."""
    for char in '#"<>;':
        text = text.replace(char, f"#{ord(char)};")
    return text
