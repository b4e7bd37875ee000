"""The event graph's model on real recordings: nodes and edges against the recorded replies."""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ska_tango_event_monitor.core.findings import Analyser, Severity
from ska_tango_event_monitor.core.graph import EventGraph, edge_health, event_graph
from ska_tango_event_monitor.core.session import MonitorSession, Snapshot, SnapshotReport
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.outputs.graph.labels import GREY, colour, health, rank
from ska_tango_event_monitor.outputs.graph.layout import layout
from ska_tango_event_monitor.recording import read_recording

DATA = Path(__file__).parent / "data"
SCAN = DATA / "tutorial_perf_scan.jsonl.gz"
RING = DATA / "scenario_ring50_slow_node.jsonl.gz"
NOT_CONNECTED = DATA / "scenario_not_connected.jsonl"
HW, TOP = "dserver/MyServer/hw", "dserver/MyServer/top"


def reports(
    path: Path, analyse: bool = True, keep: set[str] | None = None
) -> list[SnapshotReport]:
    """Every report of a recording; `keep`: as if only those servers had been monitored."""
    session = MonitorSession(Analyser() if analyse else None)
    found = []
    for snapshot in read_recording(path):
        if keep is not None:
            snapshot = Snapshot(snapshot.time, tuple(p for p in snapshot.polls if p.admin in keep))
        found.append(session.update(snapshot))
    return found


def raw_lines(path: Path) -> list[dict[str, Any]]:
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else None
    return [json.loads(line) for line in (text or path.read_text()).splitlines()]


def replies(line: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["admin"]: entry["reply"] for entry in line["servers"]}


def edges_of(graph: EventGraph) -> dict[tuple[str, str, str], Any]:
    return {(e.publisher, e.subscriber, e.stream): e for e in graph.edges}


def test_the_tutorial_scan_edges_are_the_recorded_counters():
    """At every snapshot: one edge per subscription of TopDevice, its backlog the publisher's
    last pushed counter less the subscriber's last received, its rates the counters' deltas."""
    lines, found = raw_lines(SCAN), reports(SCAN)
    for index, (line, report) in enumerate(zip(lines, found, strict=True)):
        graph = event_graph(report)
        assert [node.id for node in graph.nodes] == [HW, TOP]
        assert all(node.monitored and node.error is None for node in graph.nodes)
        raw = replies(line)
        counters = raw[HW]["server"]["event_counters"]
        callbacks = raw[TOP]["client"]["event_callbacks"]
        edges = edges_of(graph)
        assert len(edges) == len(callbacks) == 2
        for topic, callback in callbacks.items():
            stream = next(s for s in counters if stream_key(s) == stream_key(topic))
            edge = edges[(HW, TOP, stream_key(topic))]
            assert edge.backlog == counters[stream] - 1 - callback["server_counter"]
            if index == 0:  # no earlier reply: no rate yet
                assert edge.pushed_per_s is None and edge.processed_per_s is None
                continue
            before = replies(lines[index - 1])
            elapsed = (report.time - found[index - 1].time).total_seconds()
            pushed = counters[stream] - before[HW]["server"]["event_counters"][stream]
            processed = (
                callback["event_count"]
                - before[TOP]["client"]["event_callbacks"][topic]["event_count"]
            )
            assert edge.pushed_per_s == pytest.approx(pushed / elapsed)
            assert edge.processed_per_s == pytest.approx(processed / elapsed)


def test_the_tutorial_scan_backlog_shows_as_its_findings_say():
    """Mid-scan the position stream is 68 behind (last pushed 384, last received 316) and a
    finding names it: the edge takes that finding's severity and kind, no verdict."""
    graph = event_graph(reports(SCAN)[2])
    edge = edges_of(graph)[(HW, TOP, "foo/bar/hw/position.change")]
    report = reports(SCAN)[2]
    named = [f for f in report.findings or () if f.stream == "foo/bar/hw/position.change"]
    assert edge.backlog == 384 - 316 and named
    assert edge.severity == max(f.severity for f in named)
    assert edge.findings[0] == max(named, key=lambda f: (f.severity, f.magnitude)).kind
    # the verdict and lag are the report's stream health of that stream (issue 14)
    [judged] = [h for h in report.health if h.stream.endswith("foo/bar/hw/position.change")]
    assert judged.lag_s is not None and judged.lag_s > 0
    assert (edge.verdict, edge.lag_s) == (judged.verdict and str(judged.verdict), judged.lag_s)
    if edge.verdict is None:  # not judged yet: labelled by its finding
        assert health(edge) == f"{edge.severity} {', '.join(edge.findings)}"
    last = reports(SCAN)[-1]
    after = edges_of(event_graph(last))[(HW, TOP, "foo/bar/hw/position.change")]
    assert after.backlog == 0 and after.severity is None  # drained: nothing names it
    assert (after.verdict, after.lag_s) == ("OK", 0.0)
    assert colour(after) != GREY and health(after) == "OK"


def test_a_publisher_not_monitored_is_named_by_the_channel():
    """Only TopDevice's server monitored: its publisher comes from the channel name, dashed,
    and what only the publisher's reply tells (pushed, backlog) is not known."""
    graph = event_graph(reports(SCAN, keep={TOP})[3])
    channel = raw_lines(SCAN)[3]["servers"][1]["reply"]["client"]["event_callbacks"]
    names = {callback["channel_name"] for callback in channel.values()}
    assert len(names) == 1
    (name,) = names
    assert re.fullmatch(r"tango://127\.0\.0\.1:\d+/dserver/myserver/hw", name)
    publisher = graph.node(name)
    assert (publisher.name, publisher.monitored) == ("myserver/hw", False)
    assert [e.publisher for e in graph.edges] == [name, name]
    for edge in graph.edges:
        assert edge.subscriber == TOP and edge.backlog is None and edge.pushed_per_s is None
        assert edge.processed_per_s is not None


def test_a_ring_of_fifty_follows_the_channels_and_finds_the_slow_node():
    """RingNode/NN subscribes to the three streams of RingNode/(NN+1): 150 edges, each from
    the server its channel names; only those into RingNode/17 carry findings."""
    line, report = raw_lines(RING)[-1], reports(RING)[-1]
    graph = event_graph(report)
    assert len(graph.nodes) == 50 and all(node.monitored for node in graph.nodes)
    expected = set()
    for admin, reply in replies(line).items():
        for topic, callback in reply["client"]["event_callbacks"].items():
            publisher = callback["channel_name"].split("/", 3)[3]  # dserver/ringnode/NN
            expected.add((publisher.lower(), admin.lower(), stream_key(topic)))
    assert {(e.publisher.lower(), e.subscriber.lower(), e.stream) for e in graph.edges} == (
        expected
    )
    assert len(expected) == 150
    for edge in graph.edges:
        number = int(edge.subscriber[-2:])
        assert edge.publisher == f"dserver/RingNode/{(number + 1) % 50:02d}"
    marked = {e.subscriber for e in graph.edges if e.severity is not None}
    assert marked == {"dserver/RingNode/17"}
    assert {e.stream for e in graph.edges if e.severity is not None} == {
        f"ring/sensor/18/{name}.change" for name in ("humidity", "pressure", "temperature")
    }


def test_the_ring_is_drawn_on_a_circle_in_the_order_the_streams_run():
    graph = event_graph(reports(RING)[-1])
    pairs = [(e.publisher, e.subscriber) for e in graph.edges]
    placed = layout([n.id for n in graph.nodes], pairs)
    assert placed.circle and len(placed.positions) == 50
    for publisher, subscriber in pairs:  # neighbours on the circle: one step apart
        (x0, y0), (x1, y1) = placed.positions[publisher], placed.positions[subscriber]
        step = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
        assert step < 2 * 3.1416 * (placed.width / 2) / 50


def test_publishers_come_before_their_subscribers_in_columns():
    graph = event_graph(reports(SCAN)[2])
    placed = layout(
        [n.id for n in graph.nodes], [(e.publisher, e.subscriber) for e in graph.edges]
    )
    assert not placed.circle
    assert placed.positions[HW][0] < placed.positions[TOP][0]


def test_a_subscription_not_connected_starts_at_its_device():
    """`lab/ghost/1` never started: the sink's not_connected entry names the device only."""
    line, report = raw_lines(NOT_CONNECTED)[-1], reports(NOT_CONNECTED)[-1]
    graph = event_graph(report)
    (entry,) = replies(line)["dserver/EventLab/sink"]["client"]["not_connected"]
    ghost = graph.node(f"device:{entry['device']}")
    assert (ghost.name, ghost.monitored, ghost.device_only) == ("lab/ghost/1", False, True)
    edges = edges_of(graph)
    lost = edges[(ghost.id, "dserver/EventLab/sink", "lab/ghost/1/value.change")]
    assert not lost.connected and lost.backlog is None and lost.processed_per_s is None
    named = [f for f in report.findings or () if f.stream == "lab/ghost/1/value.change"]
    assert lost.severity == max(f.severity for f in named) >= Severity.WARNING
    good = edges[("dserver/EventLab/pub", "dserver/EventLab/sink", "lab/source/1/value.change")]
    assert good.connected and good.backlog == 0 and good.severity is None


def test_without_the_analysis_no_rate_is_taken_for_zero():
    graph = event_graph(reports(SCAN, analyse=False)[3])
    assert len(graph.edges) == 2
    for edge in graph.edges:
        assert edge.pushed_per_s is None and edge.processed_per_s is None
        assert edge.backlog is not None  # counted from the two replies all the same


def test_every_edge_asks_edge_health_and_carries_its_answer(monkeypatch):
    """The one place verdicts and lag come from: what it answers is on the edge, and the
    colour and label follow (today's answer: not judged)."""
    report = reports(SCAN)[-1]
    judged = {(h.subscriber, stream_key(h.stream)): h for h in report.health}
    for e in event_graph(report).edges:
        h = judged[(e.subscriber, stream_key(e.stream))]  # every edge of the scan is joined
        assert edge_health(report, e) == (str(h.verdict), h.lag_s) == ("OK", 0.0)
    monkeypatch.setattr(
        "ska_tango_event_monitor.core.graph.edge_health", lambda report, edge: ("STALLED", 14.2)
    )
    edge = event_graph(report).edges[0]
    assert (edge.verdict, edge.lag_s) == ("STALLED", 14.2)
    assert health(edge) == "STALLED" and colour(edge) == "#c81e1e"
    assert rank(edge) > rank(replace(edge, verdict="OK"))
