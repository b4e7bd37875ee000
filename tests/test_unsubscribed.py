"""STOPPED the other way round (issue 14 item 2): a subscription joined earlier that its
subscriber no longer has while its publisher keeps pushing. On the real recording of a
subscriber falling behind a publisher in another database, the subscription removed from
the subscriber's later replies (as it would read after an unsubscription)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from conftest import DATA
from ska_tango_event_monitor.core.findings import Analyser, Thresholds
from ska_tango_event_monitor.core.health import StreamHealth, Verdict
from ska_tango_event_monitor.core.session import MonitorSession, SnapshotReport
from ska_tango_event_monitor.outputs.health import health_lines
from ska_tango_event_monitor.outputs.json_lines import report_to_json
from ska_tango_event_monitor.recording import snapshot_from_json

RECORDING = DATA / "scenario_cross_database_behind.jsonl"
PUB = "tango://127.0.0.1:51903/dserver/EventLab/pub"
SINK = "tango://127.0.0.1:43817/dserver/EventLab/sink"
GONE_AT = 6  # the first poll without the subscription (polls 1 s apart)
LABEL = "lab/source/1/value.change"

Edit = Callable[[int, dict[str, Any]], None]  # (poll, server entry) -> changed in place


def server(line: dict[str, Any], admin: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in line["servers"] if s["admin"] == admin)
    return found


def unsubscribe(poll: int, line: dict[str, Any]) -> None:
    if poll >= GONE_AT:
        client = server(line, SINK)["reply"]["client"]
        client["event_callbacks"], client["event_channels"] = {}, {}


def replay(*edits: Edit, window_s: float = 30.0) -> list[SnapshotReport]:
    session = MonitorSession(Analyser(Thresholds(window_s=window_s)))
    reports = []
    for poll, text in enumerate(RECORDING.read_text().splitlines()):
        line = json.loads(text)
        for edit in edits:
            edit(poll, line)
        reports.append(session.update(snapshot_from_json(line)))
    return reports


def gone(report: SnapshotReport) -> list[StreamHealth]:
    return [h for h in report.health if not h.subscribed]


def test_a_subscription_gone_while_the_publisher_pushes_is_stopped_with_its_numbers() -> None:
    reports = replay(unsubscribe)
    assert not any(gone(r) for r in reports[:GONE_AT])
    first = gone(reports[GONE_AT])
    assert [(h.subscriber, h.publisher, h.label, h.verdict) for h in first] == [
        (SINK, PUB, LABEL, Verdict.STOPPED)
    ]
    # the publisher's counter as recorded: 41 at poll 5 (last seen), 51 at poll 6
    assert (
        first[0].reason == "no longer subscribed since 1.0 s while the publisher pushed 10 events"
    )
    later = gone(reports[GONE_AT + 2])[0]
    assert later.reason == "no longer subscribed since 3.0 s while the publisher pushed 30 events"
    # no lag and nothing behind: the subscriber waits for nothing any more
    assert (later.lag_s, later.lag_at_least, later.behind) == (None, False, 0)


def test_it_is_shown_in_the_rates_section_json_and_findings() -> None:
    report = replay(unsubscribe)[GONE_AT]
    assert health_lines(report.health) == [
        f"{'':8}{LABEL}: STOPPED (no longer subscribed since 1.0 s while the publisher pushed "
        "10 events)"
    ]
    (entry,) = report_to_json(report)["health"]
    assert entry["subscribed"] is False
    assert (entry["verdict"], entry["lag_s"], entry["behind"]) == ("STOPPED", None, 0)
    assert report.findings is not None
    (finding,) = [f for f in report.findings if f.kind == "unsubscribed"]
    assert (finding.severity.name, finding.server, finding.stream) == ("INFO", SINK, LABEL)
    assert finding.message == (
        "the subscription to dserver/EventLab/pub is gone; STOPPED: no longer subscribed "
        "since 1.0 s while the publisher pushed 10 events"
    )


def test_it_stays_reported_for_the_window_then_is_dropped() -> None:
    reports = replay(unsubscribe, window_s=3.0)
    reported = [bool(gone(r)) for r in reports[GONE_AT:]]
    assert reported == [True, True, True, False]  # since 1, 2, 3 s; then 4 s > the window


def no_reply_at_gone(admin: str) -> Edit:
    """An edit of the recording: `admin` does not answer at the poll the stream goes."""

    def edit(poll: int, line: dict[str, Any]) -> None:
        if poll == GONE_AT:
            entry = server(line, admin)
            entry.pop("reply")
            entry["error"] = "API_CantConnectToDevice"

    return edit


def test_a_subscriber_that_does_not_answer_has_its_streams_unknown_not_stopped() -> None:
    reports = replay(unsubscribe, no_reply_at_gone(SINK))
    assert not gone(reports[GONE_AT])
    assert gone(reports[GONE_AT + 1])[0].reason.startswith("no longer subscribed since 2.0 s")


def test_a_publisher_that_pushed_nothing_since_is_not_stopped() -> None:
    frozen: dict[str, int] = {}

    def freeze(poll: int, line: dict[str, Any]) -> None:
        counters = server(line, PUB)["reply"]["server"]["event_counters"]
        if poll == GONE_AT - 1:
            frozen.update(counters)
        elif poll >= GONE_AT:
            counters.update(frozen)

    assert not any(gone(r) for r in replay(unsubscribe, freeze))


def test_a_publisher_that_does_not_answer_is_not_stopped_yet() -> None:
    reports = replay(unsubscribe, no_reply_at_gone(PUB))
    assert not gone(reports[GONE_AT])
    assert gone(reports[GONE_AT + 1])


def test_still_wanted_under_another_state_is_not_stopped() -> None:
    """Resubscribed (its counters at 0 until the first event: not joined) or not connected
    (cppTango keeps retrying it): the subscriber still expects the stream."""

    def resubscribed(poll: int, line: dict[str, Any]) -> None:
        if poll >= GONE_AT:
            for callback in server(line, SINK)["reply"]["client"]["event_callbacks"].values():
                callback.update(server_counter=0, event_count=0)

    def not_connected(poll: int, line: dict[str, Any]) -> None:
        if poll >= GONE_AT:
            server(line, SINK)["reply"]["client"]["not_connected"] = [
                {
                    "device": "tango://127.0.0.1:51903/lab/source/1",
                    "attribute": "value",
                    "event_type": "idl5_change",
                    "last_heartbeat": 0,
                    "tango_host": "127.0.0.1:51903",
                }
            ]

    assert not any(gone(r) for r in replay(resubscribed))
    assert not any(gone(r) for r in replay(unsubscribe, not_connected))


def test_subscribed_again_it_is_no_longer_stopped() -> None:
    original = [json.loads(text) for text in RECORDING.read_text().splitlines()]

    def back(poll: int, line: dict[str, Any]) -> None:
        if poll >= GONE_AT + 2:
            line["servers"] = copy.deepcopy(original[poll]["servers"])

    reports = replay(unsubscribe, back)
    assert [bool(gone(r)) for r in reports[GONE_AT:]] == [True, True, False, False]
    assert all(h.subscribed for h in reports[-1].health)
