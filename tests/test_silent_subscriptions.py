"""The rule on subscriptions that get nothing, fed with the real replies of
scenario_unreachable_endpoint.jsonl changed in one place each, as cppTango reports the other
cases (tests/data/scenarios.md and the event-system facts). No Tango."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from typing import Any

from ska_tango_event_monitor.core.findings import Analyser, Finding
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll
from ska_tango_event_monitor.recording import snapshot_from_json
from test_real_verdicts import raw

NAME = "scenario_unreachable_endpoint.jsonl"
SINK, PUB = "dserver/EventLab/sink", "dserver/EventLab/pub"


def _run(lines: list[dict[str, Any]], every_s: float = 1.0) -> list[list[Finding]]:
    session = MonitorSession(Analyser())
    start = snapshot_from_json(lines[0]).time
    found = []
    for i, line in enumerate(lines):
        snapshot = snapshot_from_json(line)
        snapshot = replace(snapshot, time=start + timedelta(seconds=i * every_s))
        found.append(list(session.update(snapshot).findings or ()))
    return found


def _reply(line: dict[str, Any], admin: str) -> dict[str, Any]:
    return next(e for e in line["servers"] if e["admin"] == admin)["reply"]


def test_a_retried_subscription_not_made_is_one_stream_with_an_unreachable_endpoint() -> None:
    """As measured with alternates: the topic only in not_connected, `idl5_change` first and
    `idl5_idl5_change` after the first keep-alive retry, while the publisher answers."""
    lines = copy.deepcopy(raw(NAME))
    for i, line in enumerate(lines):
        client = _reply(line, SINK)["client"]
        client["event_callbacks"], client["event_channels"] = {}, {}
        event_type = "idl5_change" if i < 3 else "idl5_idl5_change"
        client["not_connected"] = [
            {
                "device": "lab/source/1",
                "attribute": "value",
                "event_type": event_type,
                "last_heartbeat": "2026-12-01T12:11:36",
                "tango_host": "tango://127.0.0.1:55353/",
            }
        ]
    found = _run(lines)
    assert all(len(f) == 1 for f in found)
    assert {(f.kind, f.server, f.stream) for poll in found for f in poll} == {
        ("unreachable endpoint", SINK, "lab/source/1/value.change")
    }
    last = found[-1][0].message
    assert last.startswith("subscription not connected for 7 s while its publisher")
    assert "dserver/EventLab/pub answers the monitor" in last
    assert "heartbeat tcp://eventlab-pub.internal:39739 (does not resolve here" in last


def test_a_publisher_without_an_entry_for_the_stream_is_named_after_20_s() -> None:
    """The publisher answers but lost the stream (a restart): polls every 5 s."""
    lines = copy.deepcopy(raw(NAME))
    for line in lines:
        _reply(line, PUB)["server"]["event_counters"] = {}
    found = _run(lines, every_s=5.0)
    kinds = [[(f.kind, f.stream) for f in poll] for poll in found]
    assert kinds[:5] == [[]] * 5  # 0 to 20 s: a keep-alive retry may still bring it back
    assert kinds[5:] == [[("no publisher entry", "lab/source/1/value.change")]] * 3
    assert "has had no entry for the stream for 25 s" in found[5][0].message


def test_a_healthy_subscription_raises_none_of_these() -> None:
    """The same replies with the events received: nothing gets nothing."""
    lines = copy.deepcopy(raw(NAME))
    for line in lines:
        [counter] = _reply(line, PUB)["server"]["event_counters"].values()
        for callback in _reply(line, SINK)["client"]["event_callbacks"].values():
            callback["server_counter"] = callback["event_count"] = counter - 1
    kinds = {f.kind for poll in _run(lines) for f in poll}
    assert not kinds & {"unreachable endpoint", "not connected", "no publisher entry"}


def test_polls_without_a_probe_still_name_the_endpoint_as_unreachable() -> None:
    """--no-probe: no `endpoints` in the recording; the finding stands without them."""
    lines = copy.deepcopy(raw(NAME))
    for line in lines:
        for entry in line["servers"]:
            entry.pop("endpoints", None)
    [last] = _run(lines)[-1]
    assert last.kind == "unreachable endpoint" and "advertises" not in last.message
    assert "the subscriber listens at tcp://eventlab-pub.internal:39739" in last.message


def test_poll_facts_come_from_the_polls() -> None:
    from ska_tango_event_monitor.core.findings.silent import PollFacts

    polls = [ServerPoll("a", ("x/y/z",)), ServerPoll("b", (), endpoints=())]
    assert PollFacts.of(polls) == PollFacts({"a": ("x/y/z",), "b": ()}, {"b": ()})
