"""The HTML report's event graph: the picture of the last snapshot, its legend, and every
stream in a table (the picture may not label them all)."""

from __future__ import annotations

from html import escape

from ska_tango_event_monitor.core.graph import EventGraph, StreamEdge
from ska_tango_event_monitor.core.units import duration
from ska_tango_event_monitor.outputs.graph.labels import (
    FINDING_COLOURS,
    GREY,
    NOT_JUDGED,
    VERDICT_COLOURS,
    colour,
    health,
    title,
)
from ska_tango_event_monitor.outputs.graph.svg import graph_svg

_HEADINGS = ("Publisher", "Subscriber", "Stream", "Events/s", "Behind", "Lag", "Health")
_UNKNOWN = "–"


def graph_section(graph: EventGraph) -> str:
    if not graph.nodes:
        return ""
    guide = (
        "Servers and the streams between them (publisher → subscriber) at the last snapshot; "
        "streams between the same two servers share one arrow. Events/s: processed by the "
        "subscriber of those pushed by the publisher. Dashed: a server not monitored (named "
        "by the subscription's channel) or a subscription not connected. Hover an arrow for "
        "its streams."
    )
    return (
        f'<section class="graph"><h2>Event graph</h2><p class="meta">{escape(title(graph))}</p>'
        f'<p class="guide">{guide}</p>{_legend(graph)}'
        f'<div class="graph-picture">{graph_svg(graph)}</div>{_table(graph)}</section>'
    )


def _legend(graph: EventGraph) -> str:
    seen = {colour(edge) for edge in graph.edges}
    items = [(c, v) for v, c in VERDICT_COLOURS.items()]
    items += [(c, f"{s} finding, no verdict yet") for s, c in FINDING_COLOURS.items() if c in seen]
    items.append((GREY, NOT_JUDGED))
    swatches = "".join(
        f'<li><span class="swatch" style="background:{c}"></span>{escape(text)}</li>'
        for c, text in dict.fromkeys(items)
    )
    return f'<ul class="legend">{swatches}</ul>'


def _table(graph: EventGraph) -> str:
    if not graph.edges:
        return '<p class="empty">No subscription between the servers seen.</p>'
    head = "".join(f"<th>{h}</th>" for h in _HEADINGS)
    rows = "".join(_row(graph, edge) for edge in graph.edges)
    return (
        f'<details class="streams"><summary>All {len(graph.edges)} stream(s)</summary>'
        f'<table class="streams"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
        "</details>"
    )


def _row(graph: EventGraph, edge: StreamEdge) -> str:
    cells = [
        graph.node(edge.publisher).name,
        graph.node(edge.subscriber).name,
        edge.stream,
        _rates(edge),
        _UNKNOWN if edge.backlog is None else str(edge.backlog),
        _UNKNOWN if edge.lag_s is None else duration(edge.lag_s * 1e6),
    ]
    text = "".join(f"<td>{escape(cell)}</td>" for cell in cells)
    state = f'<td style="color:{colour(edge)}">{escape(health(edge))}</td>'
    return f"<tr>{text}{state}</tr>"


def _rates(edge: StreamEdge) -> str:
    def rate(value: float | None) -> str:
        return _UNKNOWN if value is None else f"{value:.1f}"

    return f"{rate(edge.processed_per_s)} of {rate(edge.pushed_per_s)}"
