"""The time lag and the verdict per stream (issue 14) on the real recordings of
tests/data/scenarios.md, against what happened (the truth files: each push's time, as the
devices stamped it, apart from the monitor)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from conftest import DATA
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.health import StreamHealth, Verdict
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.recording import read_recording

PERIOD_S = 1.0  # every health recording was made at --polling-period 1
TRUTHS = ["scenario_scan_and_drain", "scenario_cross_database_behind", "scenario_blocked_forever"]


def health_per_poll(path: Path) -> list[dict[tuple[str, str], StreamHealth]]:
    session = MonitorSession(Analyser())
    return [
        {_key(h.subscriber, h.stream): h for h in session.update(snapshot).health}
        for snapshot in read_recording(path)
    ]


def _key(subscriber: str, stream: str) -> tuple[str, str]:
    """Both without their database: the truth files name them short."""
    return short_name(subscriber).lower(), short_name(stream_key(stream))


def verdicts(poll: dict[tuple[str, str], StreamHealth], subscriber: str) -> set[Verdict | None]:
    return {h.verdict for (s, _), h in poll.items() if s.endswith(subscriber.lower())}


@pytest.mark.parametrize("name", TRUTHS)
def test_the_lag_is_the_oldest_waiting_event_s_age_within_one_poll(name: str) -> None:
    """Interpolating the publisher's counter between polls is off by less than one polling
    period; every stream that the truth file knows is judged against it."""
    truth = json.loads((DATA / f"{name}.truth.json").read_text())["polls"]
    polls = health_per_poll(DATA / f"{name}.jsonl")
    assert len(polls) == len(truth)
    compared = 0
    for ours, true in zip(polls, truth, strict=True):
        for stream in true["streams"]:
            health = ours.get(_key(stream["subscriber"], stream["stream"]))
            if health is None or health.lag_s is None or health.lag_at_least:
                continue
            assert health.behind == stream["behind"]
            assert abs(health.lag_s - stream["oldest_waiting_s"]) < PERIOD_S, (stream, health)
            compared += 1
    assert compared >= len(truth) - 3  # all but the first polls (no lag known yet)


def test_a_healthy_system_has_every_stream_ok() -> None:
    polls = health_per_poll(DATA / "scenario_healthy_many.jsonl.gz")
    assert all(
        v in (Verdict.OK, None) for poll in polls for h in poll.values() for v in [h.verdict]
    )
    assert polls[-1] and all(h.verdict is Verdict.OK for h in polls[-1].values())


def test_a_blocked_event_thread_makes_its_streams_stalled_and_its_twin_stays_ok() -> None:
    polls = health_per_poll(DATA / "scenario_blocked_forever.jsonl")
    assert verdicts(polls[-1], "EventLab/blocked") == {Verdict.STALLED}
    twin = [verdicts(poll, "EventLab/sink") for poll in polls]  # its healthy twin
    assert all(v <= {Verdict.OK, None} for v in twin) and twin[-1] == {Verdict.OK}


def test_a_subscriber_in_another_database_falls_behind_with_a_growing_lag() -> None:
    polls = health_per_poll(DATA / "scenario_cross_database_behind.jsonl")
    [last] = [h for (s, _), h in polls[-1].items() if s.endswith("eventlab/sink")]
    assert last.verdict is Verdict.FALLING_BEHIND
    lags = [h.lag_s for p in polls[-4:] for (s, _), h in p.items() if s.endswith("eventlab/sink")]
    assert all(b > a for a, b in pairwise(lags)), lags  # type: ignore[operator]


def test_the_scan_falls_behind_the_late_event_waits_behind_it_and_both_drain() -> None:
    polls = health_per_poll(DATA / "scenario_scan_and_drain.jsonl")
    position = [p.get(("dserver/myserver/top", "foo/bar/hw/position.change")) for p in polls]
    mode = [p.get(("dserver/myserver/top", "foo/bar/hw/mode.change")) for p in polls]
    behind = [i for i, h in enumerate(position) if h and h.verdict is Verdict.FALLING_BEHIND]
    assert behind, "the position stream never FALLING BEHIND"
    lags = [position[i].lag_s for i in behind]  # type: ignore[union-attr]
    assert lags[-1] > lags[0]  # type: ignore[operator]
    delayed = [h for h in mode if h and h.delayed_behind == "foo/bar/hw/position.change"]
    assert delayed and all(h.verdict is Verdict.STALLED for h in delayed)
    assert position[-1] and mode[-1]
    assert (position[-1].verdict, position[-1].lag_s) == (Verdict.OK, 0.0)
    assert (mode[-1].verdict, mode[-1].lag_s) == (Verdict.OK, 0.0)


# (last pushed, last received) of foo/bar/hw/position then mode at foo/bar/top, one poll a
# second, from a live run of the tutorial's scan (40 positions, 0.3 s per callback): at the
# poll the position backlog has just been received, Mode.IDLE still waits behind it
SCAN_TAIL = [((39, 14), (1, 1)), ((40, 17), (2, 1)), ((40, 20), (2, 1)), ((40, 23), (2, 1))]
SCAN_TAIL += [((40, 27), (2, 1)), ((40, 30), (2, 1)), ((40, 33), (2, 1)), ((40, 37), (2, 1))]
SCAN_TAIL += [((40, 40), (2, 1)), ((40, 40), (2, 2))]


def test_the_late_event_is_delayed_behind_a_stream_caught_up_at_that_very_poll() -> None:
    from ska_tango_event_monitor.core.flow import Backlog
    from ska_tango_event_monitor.core.health import HealthJudge

    top, hw = "dserver/MyServer/top", "dserver/myserver/hw"
    judge, mode = HealthJudge(30.0), []
    for second, counters in enumerate(SCAN_TAIL):
        flows = [
            Backlog(top, f"foo/bar/hw/{name}.idl5_change", hw, f"foo/bar/hw/{name}.change", *c)
            for name, c in zip(("position", "mode"), counters, strict=True)
        ]
        mode.append(judge.judge(flows, float(second))[1])
    stalled = [(h.verdict, h.delayed_behind) for h in mode[3:-1]]
    assert stalled == [(Verdict.STALLED, "foo/bar/hw/position.change")] * 6
    assert mode[-1].verdict is Verdict.OK


def _judged(
    counters: list[tuple[int, int]], stream: str, span_s: float = 30.0
) -> list[StreamHealth]:
    """One stream's health at each poll, a second apart: (last pushed, last received)."""
    from ska_tango_event_monitor.core.flow import Backlog
    from ska_tango_event_monitor.core.health import HealthJudge

    judge = HealthJudge(span_s)
    sub, pub = "dserver/Archiver/1", "dserver/Motor/1"
    topic = stream.replace(".periodic", ".idl5_periodic").replace(".change", ".idl5_change")
    return [
        judge.judge([Backlog(sub, topic, pub, stream, pushed, received)], float(second))[0]
        for second, (pushed, received) in enumerate(counters)
    ]


def test_a_periodic_stream_whose_publisher_stops_is_stopped_even_when_caught_up() -> None:
    pushing = [(n, n) for n in range(1, 6)]  # one event a second, each received at once
    stopped = pushing + [(5, 5)] * 3
    health = _judged(stopped, "motor/axis/1/position.periodic")
    assert [h.verdict for h in health[2:5]] == [Verdict.OK] * 3
    assert health[-1].verdict is Verdict.STOPPED
    assert "nothing pushed for 2.0 s" in health[-1].reason
    # a change stream that goes quiet is idle: its subscriber expects nothing
    assert _judged(stopped, "motor/axis/1/position.change")[-1].verdict is Verdict.OK


def test_a_counter_that_went_back_is_a_reset_for_the_window_then_judged_again() -> None:
    counters = [(10, 10), (12, 12), (14, 14), (2, 14), (4, 4), (6, 6), (8, 8), (10, 10), (12, 12)]
    health = _judged(counters, "motor/axis/1/position.change", span_s=3.0)
    assert health[3].verdict is Verdict.RESET
    assert health[3].reason == "events pushed went back from 14 to 2"
    assert health[4].verdict is Verdict.RESET  # the first that went back, still in the window
    assert health[4].reason == "events pushed went back from 14 to 2"
    assert health[7].reason == "events received went back from 14 to 4"  # the one after
    assert health[-1].verdict is Verdict.OK  # the window has passed both


def test_a_publisher_restart_seen_by_the_monitor_reads_reset_once_it_is_joined_again() -> None:
    """scenario_publisher_restart: the publisher does not answer for 3 polls, then answers
    without the stream until the subscriber has subscribed again, its counters from 0."""
    polls = health_per_poll(DATA / "scenario_publisher_restart.jsonl")
    joined = [i for i, poll in enumerate(polls) if poll]
    assert joined[:4] == [0, 1, 2, 10]  # unjoined while away and while it had no entry
    again = next(iter(polls[10].values()))
    assert again.verdict is Verdict.RESET
    assert again.reason == "events received went back from 14 to 4"
