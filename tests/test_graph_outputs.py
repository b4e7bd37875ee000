"""The event graph drawn: DOT read back by Graphviz, Mermaid, `--graph FILE`, and the HTML
picture in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from browser import CHROMIUM_FLAGS, DevTools, png_pixels
from helpers import run_cli
from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.core.graph import ServerNode, event_graph
from ska_tango_event_monitor.outputs.graph.dot import render_dot
from ska_tango_event_monitor.outputs.graph.labels import (
    FINDING_COLOURS,
    VERDICT_COLOURS,
    drawn_edges,
)
from ska_tango_event_monitor.outputs.graph.mermaid import render_mermaid
from ska_tango_event_monitor.outputs.html.graph import graph_section
from ska_tango_event_monitor.outputs.html.style import CSS, PAGE
from test_event_graph import NOT_CONNECTED, RING, SCAN, reports
from test_html_report import EXTERNAL, chromium  # noqa: F401 (a fixture)

SAMPLES = [SCAN, RING, NOT_CONNECTED]


@pytest.fixture
def graphviz() -> str:
    """Debian's `dot`; skipped when missing, unless REQUIRE_GRAPHVIZ=1 (as in CI)."""
    found = shutil.which("dot")
    if found is None:
        if os.environ.get("REQUIRE_GRAPHVIZ") == "1":
            pytest.fail(
                "REQUIRE_GRAPHVIZ=1 but Graphviz is not installed (apt-get install graphviz)"
            )
        pytest.skip("Graphviz is not installed (apt-get install graphviz)")
    return found


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_graphviz_reads_the_dot_back_as_the_model(graphviz, path):
    """Every server a node, one edge per publisher and subscriber, in the edge's colour."""
    graph = event_graph(reports(path)[-1])
    text = render_dot(graph)
    assert ("  layout=circo;" in text) == (path == RING)  # a ring drawn as one
    done = subprocess.run([graphviz, "-Tjson"], input=text, capture_output=True, text=True)
    assert (done.returncode, done.stderr) == (0, "")
    laid = json.loads(done.stdout)
    names = [node["name"] for node in laid["objects"]]
    assert names == [node.id for node in graph.nodes]
    drawn = {(d.publisher, d.subscriber): d for d in drawn_edges(graph)}
    got = {(names[e["tail"]], names[e["head"]]): e for e in laid["edges"]}  # in its own order
    assert got.keys() == drawn.keys() and len(got) == len(laid["edges"])
    for pair, edge in drawn.items():
        assert got[pair]["color"] == edge.colour
        for stream in edge.streams:
            assert stream.stream in got[pair]["label"]


def test_dot_escapes_quotes_and_backslashes(graphviz):
    graph = event_graph(reports(NOT_CONNECTED)[-1])
    odd = ServerNode('dserver/My"Server\\x/1', 'My"Server\\x/1')
    graph = replace(graph, nodes=(*graph.nodes, odd))
    done = subprocess.run(
        [graphviz, "-Tjson"], input=render_dot(graph), capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout)["objects"][-1]["name"] == 'dserver/My"Server\\x/1'


def test_mermaid_has_a_node_per_server_and_a_styled_link_per_edge():
    graph = event_graph(reports(NOT_CONNECTED)[-1])
    text = render_mermaid(graph)
    lines = text.splitlines()
    assert lines[1] == "flowchart LR"
    nodes = [line for line in lines if re.fullmatch(r'  n\d+\["[^"]*"\](:::\w+)?', line)]
    links = [line for line in lines if re.fullmatch(r'  n\d+ (-->|-\.->)\|"[^"]*"\| n\d+', line)]
    styles = [line for line in lines if line.startswith("  linkStyle ")]
    assert len(nodes) == len(graph.nodes) == 3
    assert len(links) == len(styles) == len(drawn_edges(graph)) == 2
    assert nodes[2] == '  n2["lab/ghost/1<br>device, server unknown"]:::notMonitored'
    assert links[0].startswith("  n2 -.->|") and links[0].endswith("| n1")  # not connected
    assert "WARNING not connected" in links[0]
    warning = FINDING_COLOURS[Severity.WARNING]
    assert styles[0] == f"  linkStyle 0 stroke:{warning},color:{warning}"
    # the other link: the healthy stream, judged OK by the report's stream health
    [good] = [e for e in graph.edges if e.connected]
    assert good.verdict == "OK"
    ok = VERDICT_COLOURS["OK"]
    assert styles[1] == f"  linkStyle 1 stroke:{ok},color:{ok}"


@pytest.mark.parametrize("suffix", [".dot", ".gv", ".mmd", ".md"])
def test_graph_file_from_a_replay(tmp_path, suffix):
    path = tmp_path / f"events{suffix}"
    status, _, err = run_cli("--replay", str(NOT_CONNECTED), "--graph", str(path))
    assert (status, err) == (0, "")
    text = path.read_text(encoding="utf-8")
    graph = event_graph(reports(NOT_CONNECTED)[-1])
    expected = render_dot(graph) if suffix in (".dot", ".gv") else render_mermaid(graph)
    assert text == (f"```mermaid\n{expected}```\n" if suffix == ".md" else expected)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left


def test_graph_file_with_an_unknown_suffix_is_refused(tmp_path):
    status, out, err = run_cli("--replay", str(NOT_CONNECTED), "--graph", str(tmp_path / "g.png"))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "must end in .dot, .gv, .mmd, .md" in err


def test_graph_file_that_cannot_be_written(tmp_path):
    target = tmp_path / "missing" / "g.dot"
    status, _, err = run_cli("--replay", str(NOT_CONNECTED), "--graph", str(target))
    assert status == 6
    assert err == f"ska-tango-event-monitor: error: cannot write the graph {target}: " + (
        "No such file or directory\n"
    )


def test_the_report_draws_the_graph_of_the_last_snapshot(tmp_path):
    page_path = tmp_path / "r.html"
    status, _, err = run_cli("--replay", str(RING), "--report", str(page_path))
    assert (status, err) == (0, "")
    page = page_path.read_text(encoding="utf-8")
    section = page.split('<section class="graph">')[1].split("</section>")[0]
    assert section.count('<g class="server">') == 50
    assert "RingNode/18 → RingNode/17" in section  # the one edge labelled, with a finding
    assert section.count('<text class="edge-label"') == 1
    assert section.count("<tr>") == 1 + 150  # the table: every stream
    assert not EXTERNAL.search(page)


def _page(path: Path, tmp_path: Path) -> Path:
    body = graph_section(event_graph(reports(path)[-1]))
    page = tmp_path / f"{path.name}.html"
    page.write_text(PAGE.format(title="graph", css=CSS, body=body), encoding="utf-8")
    return page


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_chromium_draws_the_graph(chromium, path, tmp_path):  # noqa: F811
    """Loaded without an error or a request; the servers and arrows have a size on screen;
    the screenshot shows the edges' colours."""
    page = _page(path, tmp_path)
    with DevTools(chromium, tmp_path / "profile") as browser:
        events = browser.load(page.as_uri())
        servers, width, height = browser.evaluate(
            "[document.querySelectorAll('svg.graph .server').length,"
            " document.querySelector('svg.graph').getBoundingClientRect().width,"
            " document.querySelector('svg.graph').getBoundingClientRect().height]"
        )
        texts = browser.evaluate(
            "Array.from(document.querySelectorAll('svg.graph text')).map(t => {"
            " const r = t.getBoundingClientRect();"
            " return [t.getAttribute('class'), r.left, r.top, r.right, r.bottom]; })"
        )
    assert [e for e in events if e["method"] == "Runtime.exceptionThrown"] == []
    requests = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    assert requests == [page.as_uri()]
    graph = event_graph(reports(path)[-1])
    assert servers == len(graph.nodes) and width > 300 and height > 100
    # no label over another or over a name (the boxes of names along a radius do overlap
    # where their glyphs do not: those pairs are left out)
    for i, (first, *a) in enumerate(texts):
        for second, *b in texts[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart or "edge-label" not in (first, second), (i, first, second)
    png = tmp_path / "graph.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'shot'}",
            f"--screenshot={png}",
            "--window-size=1300,1300",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    colours = png_pixels(png.read_bytes())[..., :3].reshape(-1, 3)
    for drawn in {d.colour for d in drawn_edges(graph)}:
        rgb = np.array([int(drawn[i : i + 2], 16) for i in (1, 3, 5)])
        assert (colours == rgb).all(axis=1).sum() > 20, drawn
