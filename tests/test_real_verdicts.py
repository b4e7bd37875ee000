"""Verdicts on recordings of real systems that once got them wrong (tests/data/scenarios.md
says what happened in each). Every expectation is read from the raw replies; no Tango.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA
from ska_tango_event_monitor.core.findings import Analyser, Finding, Severity
from ska_tango_event_monitor.core.session import MonitorSession, SnapshotReport
from ska_tango_event_monitor.recording import read_recording


def replay(name: str) -> list[SnapshotReport]:
    session = MonitorSession(Analyser())
    return [session.update(snapshot) for snapshot in read_recording(DATA / name)]


def raw(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    text = (
        gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()
    )
    return [json.loads(line) for line in text.splitlines()]


def findings(reports: list[SnapshotReport]) -> list[tuple[int, Finding]]:
    return [(i, f) for i, report in enumerate(reports) for f in report.findings or ()]


def test_ring_of_50_names_only_the_slow_node_with_its_streams_true_pace() -> None:
    """50 servers, each stream pushed at 2 Hz; ring/watch/17 takes 0.6 s per temperature
    event. Before: 7 healthy servers `saturated` at the first poll, the culprit's humidity
    `pushed every ~127.5 µs` (the server's gap samples mix its three streams)."""
    name = "scenario_ring50_slow_node.jsonl.gz"
    lines, reports = raw(name), replay(name)
    found = findings(reports)
    assert found
    assert {f.server for _, f in found} == {"dserver/RingNode/17"}
    assert {f.kind for _, f in found} == {"backlog", "saturated", "latency"}
    assert min(i for i, _ in found) >= 1  # nothing from the first, partial reply

    # the pace of each input stream from its counter at the publisher, RingNode/18
    def counters(line: dict[str, Any]) -> dict[str, int]:
        [entry] = [s for s in line["servers"] if s["admin"].endswith("RingNode/18")]
        return entry["reply"]["server"]["event_counters"]

    first, last = counters(lines[0]), counters(lines[-1])
    seconds = _time(lines[-1]) - _time(lines[0])
    for key in first:
        per_second = (last[key] - first[key]) / seconds
        assert per_second == pytest.approx(2.0, abs=0.1)
    for _, finding in found:
        if finding.kind == "saturated":
            paces = re.findall(r"ring/sensor/18/(\w+) pushed every ~(\d+) ms", finding.message)
            assert {stream for stream, _ in paces} == {"temperature", "pressure", "humidity"}
            assert all(abs(int(ms) - 500) <= 25 for _, ms in paces), finding.message
            assert (
                finding.message.count("603.0 ms per event") + finding.message.count("ms per event")
                >= 1
            )


def _time(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["time"]).timestamp()


@pytest.mark.parametrize("period", ["0.5", "1", "3", "5"])
def test_churn_is_named_with_its_topic_at_every_period(period: str) -> None:
    """lab/churn/1 (un)subscribes lab/source/2/quiet ~40 times a second beside a 10 Hz
    subscriber. Before: at 0.5 s no finding (5 samples a poll), elsewhere no topic."""
    name = f"scenario_churn_p{period}.jsonl"
    lines, reports = raw(name), replay(name)
    found = findings(reports)
    assert {(f.kind, f.server) for _, f in found} == {("churn", "dserver/EventLab/sink")}
    # from the poll at which the window holds 10 samples on, every snapshot names it
    samples = [
        len(_sink(line)["client"]["perf"] or []) if i else 0 for i, line in enumerate(lines)
    ]
    enough = next(i for i in range(len(lines)) if sum(samples[1 : i + 1]) >= 10)
    assert [i for i, _ in found] == list(range(enough, len(lines)))
    topic = "lab/source/2/quiet.idl5_change"
    present = [
        any(k.endswith(topic) for k in _sink(line)["client"]["event_callbacks"]) for line in lines
    ]
    named = [i for i, f in found if f"coming and going: {topic}" in f.message]
    for i, _ in found:  # named whenever the polls so far saw it come and go
        assert (i in named) == (0 < sum(present[: i + 1]) < i + 1)
    assert named
    wakes = [s["wake_count"] for line in lines[1:] for s in _sink(line)["client"]["perf"]]
    assert statistics.median(wakes) >= 20


def _sink(line: dict[str, Any]) -> dict[str, Any]:
    [entry] = [s for s in line["servers"] if s["admin"].endswith("EventLab/sink")]
    return entry["reply"]


def test_values_stamped_in_the_past_on_an_idle_consumer_raise_no_warning() -> None:
    """Latency 5.00 s on every sample, the thread asleep, nothing behind. Before: WARNING
    `events wait in the queue before their callbacks run`."""
    name = "scenario_past_timestamps.jsonl"
    lines, reports = raw(name), replay(name)
    latencies = [
        s["first_callback_latency_micros"] / 1e6
        for line in lines[1:]
        for s in _sink(line)["client"]["perf"]
    ]
    assert min(latencies) == pytest.approx(5.0, abs=0.01)
    found = findings(reports)
    assert {(f.kind, f.severity) for _, f in found} == {("latency", Severity.INFO)}
    assert all("timestamp" in f.message and "no delay is seen" in f.message for _, f in found)


def test_the_first_polls_after_perf_is_switched_on_raise_nothing() -> None:
    """20 healthy servers; the first reply of RingNode/00 caught two back-to-back samples
    (sleeps of 10 and 6 µs). Before: `saturated ... busy 90%`."""
    name = "scenario_perf_first_poll.jsonl.gz"
    lines = raw(name)
    [first] = [s for s in lines[0]["servers"] if s["admin"].endswith("RingNode/00")]
    assert len(first["reply"]["client"]["perf"]) == 2
    assert findings(replay(name)) == []


def test_a_blocked_consumer_thread_is_promised_no_drain() -> None:
    """EventLab/stuck's callback blocks for good; EventLab/sink, subscribed to the same
    stream, is healthy. Before: `drains in ~292 s at 2.0 events/s` (the healthy one's rate)."""
    name = "scenario_keepalive.jsonl"
    found = findings(replay(name))
    assert {f.server for _, f in found} == {"dserver/EventLab/stuck"}
    backlogs = [f for _, f in found if f.kind == "backlog"]
    assert backlogs and all("drains" not in f.message for f in backlogs)
    assert backlogs[-1].severity == Severity.ERROR
    assert "nothing received for" in backlogs[-1].message


def test_recordings_are_described() -> None:
    described = Path(DATA / "scenarios.md").read_text()
    for name in (
        "scenario_ring50_slow_node.jsonl.gz",
        "scenario_churn_p0.5.jsonl",
        "scenario_past_timestamps.jsonl",
        "scenario_perf_first_poll.jsonl.gz",
        "scenario_keepalive.jsonl",
    ):
        assert f"`{name}`" in described or name.split("_p")[0] in described


def test_a_blocked_consumer_thread_is_named_as_blocked_within_two_polls() -> None:
    """The stuck subscriber's counters freeze from poll 0 while its publisher pushes 2 Hz:
    after two polls without progress it is called blocked; the healthy twin is not."""
    name = "scenario_keepalive.jsonl"
    lines, reports = raw(name), replay(name)
    blocked = [(i, f) for i, f in findings(reports) if f.kind == "blocked"]
    assert {f.server for _, f in blocked} == {"dserver/EventLab/stuck"}
    assert min(i for i, _ in blocked) == 2  # polls 1 and 2 without progress
    assert [i for i, _ in blocked] == list(range(2, len(lines)))
    last = blocked[-1][1]
    counts = [
        next(e for e in line["servers"] if e["admin"].endswith("EventLab/pub"))["reply"]["server"][
            "event_counters"
        ]
        for line in (lines[0], lines[-1])
    ]
    pushed = sum(counts[1].values()) - sum(counts[0].values())
    assert f"publishers pushed {pushed} events" in last.message
    assert "will not drain by itself" in last.message
