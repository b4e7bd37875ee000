"""What a verdict stands on: the checks each snapshot and run could not make, the
keep-alive rule, and the summary's all-clear only when everything was judged.

Hand-built replies shaped like the recorded ones (see test_findings.py), no Tango.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from ska_tango_event_monitor.core.findings import Analyser, Severity
from ska_tango_event_monitor.core.findings.judged import CHECKS
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll, Snapshot
from ska_tango_event_monitor.outputs.json_lines import report_to_json, summary_to_json
from ska_tango_event_monitor.outputs.text import render_snapshot, render_summary
from test_findings import (
    PUB,
    SINK,
    analyse_with_unjudged,
    pub_reply,
    pub_sample,
    sink_reply,
    sink_sample,
)

T0 = datetime(2026, 1, 1, 12, 0, 0)
MINUTE = 60.0


def healthy(i: int, resubscribed: str | None, perf: bool = True) -> dict[str, Any]:
    """One poll a minute: 60 events pushed and received, perf samples of an idle thread."""
    samples = [sink_sample(sleep=990_000)] * 60 if perf else None
    return {
        PUB: pub_reply(61 + 60 * i, [pub_sample()] * 60 if perf else None),
        SINK: sink_reply(60 + 60 * i, 60 + 60 * i, perf=samples, resubscribed=resubscribed),
    }


def every_210_s(i: int) -> str:
    """cppTango's keep-alive re-subscribes about every 210 s (local time, to the second)."""
    return (T0 + timedelta(seconds=210 * int(i * MINUTE // 210))).strftime("%Y-%m-%d %H:%M:%S")


def run(polls: list[dict[str, Any]]) -> tuple[list, FindingsLog]:
    session, log = MonitorSession(Analyser()), FindingsLog()
    reports = []
    for i, replies in enumerate(polls):
        snapshot = Snapshot(
            T0 + timedelta(seconds=i * MINUTE),
            tuple(ServerPoll(admin, (), reply=reply) for admin, reply in replies.items()),
        )
        report = session.update(snapshot)
        log.add(report.time, report.findings or (), report.unjudged, [PUB, SINK])
        reports.append(report)
    return reports, log


def test_a_stuck_keep_alive_is_named_after_two_periods() -> None:
    """`last_resubscribed` frozen (null) for 8 minutes while the process answers."""
    reports, _ = run([healthy(i, None) for i in range(9)])
    found = [[f for f in r.findings if f.kind == "keep-alive"] for r in reports]
    assert [len(f) for f in found] == [0] * 8 + [1]  # 480 s >= 450 s
    [finding] = found[8]
    assert (finding.severity, finding.server, finding.stream) == (Severity.WARNING, SINK, None)
    assert finding.message.startswith(
        "1 of 1 subscription(s) not re-subscribed for at least 480 s "
        "(e.g. lab/source/1/value.idl5_change)"
    )
    assert "600 s, so events stop" in finding.message
    # before 7.5 minutes it is not judged, and each snapshot says so
    assert all(("keep-alive", SINK, "needs 7.5 min of polls") in r.unjudged for r in reports[:7])


def test_a_working_keep_alive_raises_nothing_and_the_run_is_an_all_clear() -> None:
    reports, log = run([healthy(i, every_210_s(i)) for i in range(9)])
    assert [r.findings for r in reports] == [()] * 9
    assert reports[-1].unjudged == ()
    assert log.never_judged == []
    assert render_summary(log).splitlines()[2] == "none: nothing unusual was seen"


def test_without_monitor_the_summary_says_what_it_did_not_check() -> None:
    _, log = run([healthy(i, every_210_s(i), perf=False) for i in range(9)])
    lines = render_summary(log).splitlines()
    assert lines[2:-1] == [
        "no finding",
        f"not judged: saturation, latency, churn at {SINK}: "
        "no performance samples (run with --monitor)",
    ]
    summary = json.loads(summary_to_json(log))["summary"]
    assert {(u["check"], u["server"]) for u in summary["not_judged"]} == {
        ("saturation", SINK),
        ("latency", SINK),
        ("churn", SINK),
    }


def test_one_snapshot_judges_nothing_that_needs_two_polls() -> None:
    reports, log = run([healthy(0, None)])
    assert reports[0].findings == ()
    text = render_snapshot(reports[0]).splitlines()
    assert "not judged: backlog, missed events, restart at all 2 servers: one poll so far" in (
        "\n".join(text)
    )
    summary = render_summary(log).splitlines()
    assert summary[2] == "no finding"
    assert any(line.startswith("not judged: backlog, missed events, restart") for line in summary)


def test_a_server_that_never_answered_is_judged_on_nothing() -> None:
    polls = [{PUB: None, SINK: sink_reply(5, 5, perf=[])} for _ in range(3)]
    results = analyse_with_unjudged(*polls)
    for findings, unjudged in results:
        assert {u.check for u in unjudged if u.server == PUB} == set(CHECKS)
        assert {u.reason for u in unjudged if u.server == PUB} == {"no reply"}
        assert ("backlog", SINK, "the publisher of a subscription did not answer") in unjudged
        assert [f.kind for f in findings] == ["no reply"]


@pytest.mark.parametrize("period_s", [0.5, 1.0, 3.0, 5.0])
def test_churn_is_named_at_every_period(period_s: float) -> None:
    """Events at 4 a second and ~50 wakes each, a topic flickering: whatever the polling
    period, the window holds enough samples and names the topic."""
    per_poll = max(int(4 * period_s), 1)
    churned = "tango://127.0.0.1:10000/lab/churn/1/noise.idl5_change"

    def poll(i: int) -> dict[str, Any]:
        reply = sink_reply(per_poll * i, per_poll * i, perf=[sink_sample(wake=50)] * per_poll)
        if i % 2:
            callbacks = reply["client"]["event_callbacks"]
            callbacks[churned] = dict(next(iter(callbacks.values())), event_count=0)
        return {SINK: reply}

    results = analyse_with_unjudged(*(poll(i) for i in range(8)), period_s=period_s)
    churn = [f for f in results[-1][0] if f.kind == "churn"]
    assert len(churn) == 1
    assert "coming and going: lab/churn/1/noise.idl5_change (in 4 of" in churn[0].message


def test_each_subscription_shows_its_keep_alive_age() -> None:
    """How long `last_resubscribed` kept its value, on the monitor's clock; JSON carries it."""
    reports, _ = run([healthy(i, every_210_s(i)) for i in range(6)])
    ages = [[(r.last_resubscribed, r.unchanged_s) for r in rep.resubscriptions] for rep in reports]
    values = [every_210_s(i) for i in range(6)]
    assert [age[0][0] for age in ages] == values
    # 0 s when first seen or changed, growing by a minute a poll while unchanged
    expected, since = [], 0
    for i, value in enumerate(values):
        since = i if i == 0 or value != values[i - 1] else since
        expected.append((i - since) * MINUTE)
    assert [age[0][1] for age in ages] == pytest.approx(expected)
    plain = report_to_json(reports[-1])
    assert plain["resubscriptions"] == [
        {
            "server": SINK,
            "topic": "lab/source/1/value.idl5_change",
            "last_resubscribed": values[-1],
            "unchanged_s": expected[-1],
        }
    ]
    assert plain["servers"][1]["event_channels"] == {
        "tango://127.0.0.1:10000/dserver/eventlab/pub": "tcp://127.0.0.1:5555"
    }
