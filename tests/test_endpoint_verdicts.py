"""Verdicts on recordings of subscriptions that get nothing (tests/data/scenarios.md says
what happened in each); every expectation is read from the raw replies. No Tango."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conftest import DATA
from ska_tango_event_monitor.core.findings import Severity
from test_real_verdicts import findings, raw, replay

PUB, SINK, GHOST = "dserver/EventLab/pub", "dserver/EventLab/sink", "dserver/EventLab/ghost"
STREAM = "lab/source/1/value.change"


def _entry(line: dict[str, Any], admin: str) -> dict[str, Any]:
    [entry] = [e for e in line["servers"] if e["admin"] == admin]
    return entry


def _seconds(lines: list[dict[str, Any]], i: int, first: int) -> float:
    times = [datetime.fromisoformat(lines[j]["time"]) for j in (first, i)]
    return (times[1] - times[0]).total_seconds()


def test_an_answering_publisher_with_an_unreachable_endpoint_is_named_as_such() -> None:
    """EventLab/pub answers and pushes at 5 Hz; it advertises tcp://eventlab-pub.internal:
    PORT, a name only it resolves. Before: nothing (the subscription, in event_callbacks with
    zero counters, was left out of the backlog) or `the publisher is unreachable`."""
    name = "scenario_unreachable_endpoint.jsonl"
    lines, reports = raw(name), replay(name)
    callbacks = [_entry(line, SINK)["reply"]["client"]["event_callbacks"] for line in lines]
    assert all(c["server_counter"] == 0 for cb in callbacks for c in cb.values())
    pushed = [
        next(iter(_entry(line, PUB)["reply"]["server"]["event_counters"].values())) - 1
        for line in lines
    ]
    assert pushed[-1] > pushed[0] + 10  # it kept pushing, and answering
    found = findings(reports)
    assert {(f.kind, f.server, f.stream, f.severity) for _, f in found} == {
        ("unreachable endpoint", SINK, STREAM, Severity.ERROR)
    }
    # from the first poll at which two events were pushed since the subscription was seen
    first = next(i for i in range(len(lines)) if pushed[i] - pushed[0] >= 2)
    assert [i for i, _ in found] == list(range(first, len(lines)))
    last_i, last = found[-1]
    assert f"pushed {pushed[last_i] - pushed[0]} events" in last.message
    assert f"for {_seconds(lines, last_i, 0):.0f} s" in last.message
    assert "answers the monitor" in last.message and "unreachable" in last.message
    # the endpoints it advertises, as probed from the monitor's host (recorded with the poll)
    probed = _entry(lines[-1], PUB)["endpoints"]
    assert {p["role"] for p in probed} == {"heartbeat", "event"}
    for endpoint in probed:
        assert endpoint["resolves"] is False
        assert f"{endpoint['endpoint']} (does not resolve here" in last.message
    assert "(and from the monitor's host)" in last.message


def test_a_server_that_never_ran_and_a_killed_publisher_each_get_one_finding() -> None:
    """lab/ghost/1's server never ran (its subscription stays in not_connected); EventLab/pub
    is killed after poll 3 while the sink keeps its subscription."""
    name = "scenario_server_down.jsonl"
    lines, reports = raw(name), replay(name)
    sink_replies = [_entry(line, SINK)["reply"]["client"] for line in lines]
    assert all(r["not_connected"] for r in sink_replies)
    pub_down = [i for i, line in enumerate(lines) if "error" in _entry(line, PUB)]
    assert pub_down == list(range(pub_down[0], len(lines))) and pub_down[0] <= 4
    found = findings(reports)
    kinds = {(f.kind, f.server, f.stream) for _, f in found}
    assert kinds == {
        ("no reply", GHOST, None),
        ("no reply", PUB, None),
        ("not connected", SINK, "lab/ghost/1/value.change"),
        ("publisher down", SINK, STREAM),
    }
    not_connected = [(i, f) for i, f in found if f.kind == "not connected"]
    assert [i for i, _ in not_connected] == list(range(len(lines)))  # one per poll
    i, last = not_connected[-1]
    assert f"not connected for {_seconds(lines, i, 0):.0f} s" in last.message
    assert "dserver/EventLab/ghost does not run or answer" in last.message
    down = [(i, f) for i, f in found if f.kind == "publisher down"]
    # only once it has lasted longer than two keep-alive retries (20 s)
    assert all(_seconds(lines, i, pub_down[0]) > 20 for i, _ in down)
    assert down and down[0][0] == next(i for i in pub_down if _seconds(lines, i, pub_down[0]) > 20)
    assert "API_EventTimeout" in down[-1][1].message


def test_recordings_are_described() -> None:
    described = (DATA / "scenarios.md").read_text()
    for name in ("scenario_unreachable_endpoint.jsonl", "scenario_server_down.jsonl"):
        assert f"`{name}`" in described
