"""What today's analysis says on the stream-health recordings (tests/data/scenarios.md tells
what happened in each). Phases are read from the raw replies, not from poll numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA
from ska_tango_event_monitor.core.streams import stream_key
from test_real_verdicts import findings, raw, replay

BLOCKED, TWIN = "scenario_blocked_forever.jsonl", "scenario_cross_database_behind.jsonl"
SCAN, HEALTHY = "scenario_scan_and_drain.jsonl", "scenario_healthy_many.jsonl.gz"
ALL = [BLOCKED, TWIN, SCAN, HEALTHY]


def _reply(line: dict[str, Any], admin_end: str) -> dict[str, Any]:
    [entry] = [s for s in line["servers"] if s["admin"].endswith(admin_end)]
    return entry["reply"]


def _received(line: dict[str, Any], admin_end: str) -> dict[str, int]:
    callbacks = _reply(line, admin_end)["client"]["event_callbacks"]
    return {stream_key(topic): c["server_counter"] for topic, c in callbacks.items()}


def _pushed(line: dict[str, Any], admin_end: str) -> dict[str, int]:
    counters = _reply(line, admin_end)["server"]["event_counters"]
    return {stream_key(stream): value - 1 for stream, value in counters.items()}


@pytest.mark.parametrize("name", ALL)
def test_each_recording_replays(name: str) -> None:
    monitor = Path(sys.executable).with_name("ska-tango-event-monitor")
    done = subprocess.run(
        [str(monitor), "--replay", str(DATA / name)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Findings" in done.stdout and not done.stderr


@pytest.mark.parametrize("name", ALL)
def test_a_drain_time_only_for_a_shrinking_backlog(name: str) -> None:
    backlogs = [f for _, f in findings(replay(name)) if f.kind == "backlog"]
    for finding in backlogs:
        assert ("drains in" in finding.message) == ("shrinking" in finding.message), finding


def test_the_blocked_consumer_thread_is_named_within_two_polls_and_never_the_twin() -> None:
    lines, reports = raw(BLOCKED), replay(BLOCKED)
    counters = [_received(line, "EventLab/blocked") for line in lines]
    frozen_from = next(i for i in range(len(lines)) if counters[i] == counters[-1])
    assert 0 < frozen_from < len(lines) - 3
    pushed = [sum(_pushed(line, "EventLab/pub").values()) for line in lines]
    assert pushed[-1] - pushed[frozen_from] >= 50  # two streams at 5 Hz kept going
    twin = [_received(line, "EventLab/sink") for line in lines]
    assert twin[-1] == _pushed(lines[-1], "EventLab/pub")  # the twin kept up

    found = findings(reports)
    blocked = [i for i, f in found if f.kind == "blocked"]
    assert {f.server for _, f in found if f.kind == "blocked"} == {"dserver/EventLab/blocked"}
    assert blocked[0] <= frozen_from + 2
    assert blocked == list(range(blocked[0], len(lines)))  # and at every poll after
    assert not [f for _, f in found if f.server == "dserver/EventLab/sink"]
    on_blocked = [f for _, f in found if f.server == "dserver/EventLab/blocked"]
    assert not [f for f in on_blocked if "drains in" in f.message]


def test_a_subscriber_in_another_database_has_a_growing_backlog() -> None:
    lines, reports = raw(TWIN), replay(TWIN)
    publisher, subscriber = (entry["admin"] for entry in lines[0]["servers"])
    assert publisher.endswith("/dserver/EventLab/pub")
    assert subscriber.endswith("/dserver/EventLab/sink")
    assert publisher.split("/")[2] != subscriber.split("/")[2]  # two databases: two ports

    backlogs = [(i, f) for i, f in findings(reports) if f.kind == "backlog"]
    assert {f.server for _, f in backlogs} == {subscriber}
    polls = [i for i, _ in backlogs]
    assert polls == list(range(polls[0], len(lines)))
    sizes = [f.magnitude for _, f in backlogs]
    assert sizes == sorted(set(sizes)) and sizes[-1] >= 30
    assert all("growing" in f.message and "falling behind" in f.message for _, f in backlogs)


def test_the_tutorial_scan_falls_behind_delays_mode_then_drains_to_quiet() -> None:
    lines, reports = raw(SCAN), replay(SCAN)
    position, mode = "foo/bar/hw/position.change", "foo/bar/hw/mode.change"
    pushed = [_pushed(line, "MyServer/hw")[position] for line in lines]
    received = [_received(line, "MyServer/top")[position] for line in lines]
    mode_late = [
        _pushed(line, "MyServer/hw")[mode] > _received(line, "MyServer/top")[mode]
        for line in lines
    ]
    scanning = [i for i in range(1, len(lines)) if pushed[i] > pushed[i - 1]]
    caught_up = next(i for i in range(scanning[-1], len(lines)) if received[i] == pushed[i])
    assert len(scanning) >= 7 and len(lines) - caught_up >= 4

    found = findings(reports)
    behind = {i: f for i, f in found if f.kind == "backlog" and "position" in str(f.stream)}
    full_rate = [i for i in scanning[1:] if pushed[i] - pushed[i - 1] >= 5]  # not the tail
    growing = [behind[i].magnitude for i in full_rate if i in behind]
    assert len(growing) >= 5 and growing == sorted(growing)
    draining = [i for i in behind if i > scanning[-1]]
    assert draining and all("shrinking" in behind[i].message for i in draining)
    delayed = [i for i, f in found if f.kind == "delayed" and "mode" in str(f.stream)]
    assert delayed and all(mode_late[i] and mode_late[i - 1] for i in delayed)
    assert all(i in delayed for i in range(len(lines)) if mode_late[i] and mode_late[i - 1])
    assert not [f for i, f in found if i > caught_up + 1]  # quiet once caught up


def test_a_healthy_system_raises_nothing_and_judges_every_check() -> None:
    lines, reports = raw(HEALTHY), replay(HEALTHY)
    seconds = (len(lines) - 1) * 1.0
    first, last = (
        _pushed(line, "/pub") | _pushed(line, "/pub2") for line in (lines[0], lines[-1])
    )
    rates = {stream.split("/")[2]: (last[stream] - first[stream]) / seconds for stream in last}
    assert rates == pytest.approx({"1": 50.0, "2": 10.0, "3": 5.0, "4": 1.0}, rel=0.15)
    assert len(lines[0]["servers"]) == 4
    assert not findings(reports)
    for report in reports[1:]:  # keep-alive needs minutes of polls; the rest from poll 1
        assert {u.check for u in report.unjudged} <= {"keep-alive"}, report.unjudged
