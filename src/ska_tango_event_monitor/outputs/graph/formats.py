"""`--graph FILE`: the format its suffix names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ska_tango_event_monitor.core.graph import EventGraph
from ska_tango_event_monitor.outputs.graph.dot import render_dot
from ska_tango_event_monitor.outputs.graph.mermaid import render_mermaid, render_mermaid_markdown

GRAPH_FORMATS: dict[str, Callable[[EventGraph], str]] = {
    ".dot": render_dot,
    ".gv": render_dot,
    ".mmd": render_mermaid,
    ".md": render_mermaid_markdown,
}


def graph_format(path: Path) -> Callable[[EventGraph], str]:
    """ValueError, naming the suffixes known, for any other."""
    render = GRAPH_FORMATS.get(path.suffix.lower())
    if render is None:
        known = ", ".join(GRAPH_FORMATS)
        raise ValueError(f"--graph {path}: the file name must end in {known}")
    return render
