"""The event graph as Graphviz DOT (`--graph FILE.dot`), publishers on the left."""

from __future__ import annotations

from ska_tango_event_monitor.core.graph import EventGraph, ServerNode
from ska_tango_event_monitor.outputs.graph.labels import (
    GREY,
    DrawnEdge,
    drawn_edges,
    node_lines,
    stream_line,
    title,
)
from ska_tango_event_monitor.outputs.graph.layout import layout

_HEADER = """\
digraph "event graph" {{
  graph [rankdir=LR, label={title}, labelloc=t, fontname="Helvetica", fontsize=12];
  node [shape=box, style=rounded, fontname="Helvetica", fontsize=11];
  edge [fontname="Helvetica", fontsize=9];
"""


def render_dot(graph: EventGraph) -> str:
    """A ring (as the HTML picture finds it) is laid out by Graphviz's circo: dot would
    stretch it into one long row."""
    edges = drawn_edges(graph)
    lines = [_HEADER.format(title=_quoted(title(graph))).rstrip("\n")]
    pairs = [(edge.publisher, edge.subscriber) for edge in edges]
    if layout([node.id for node in graph.nodes], pairs).circle:
        lines.append("  layout=circo;")
    lines += [_node(node) for node in graph.nodes]
    lines += [_edge(edge) for edge in edges]
    return "\n".join([*lines, "}", ""])


def _node(node: ServerNode) -> str:
    attributes = [
        f"label={_quoted(chr(10).join(node_lines(node)))}",
        f"tooltip={_quoted(node.id)}",
    ]
    if not node.monitored:
        attributes += ['style="rounded,dashed"', f'color="{GREY}"', f'fontcolor="{GREY}"']
    elif node.error is not None:
        attributes += ['style="rounded,filled"', 'fillcolor="#fdeaea"']
    return f"  {_quoted(node.id)} [{', '.join(attributes)}];"


def _edge(edge: DrawnEdge) -> str:
    # \l ends each line left-justified: the streams read as a list
    label = "".join(_escaped(stream_line(stream)) + "\\l" for stream in edge.streams)
    attributes = [f'label="{label}"', f'color="{edge.colour}"', f'fontcolor="{edge.colour}"']
    if edge.dashed:
        attributes.append("style=dashed")
    return f"  {_quoted(edge.publisher)} -> {_quoted(edge.subscriber)} [{', '.join(attributes)}];"


def _quoted(text: str) -> str:
    return f'"{_escaped(text)}"'


def _escaped(text: str) -> str:
    """Inside a DOT string: a quote escaped (DOT's only escape: a backslash stays as it is),
    a line break as \\n."""
    return text.replace('"', '\\"').replace("\n", "\\n")
