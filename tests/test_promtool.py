"""Prometheus' own checks of the package's rules: `promtool check rules`, and `promtool test
rules` on series replayed from recordings of real servers through the exporter
(tests/exposition_series.py), with the alerts expected at given times, their labels and
annotations, and none other."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from exposition_series import (
    JOB,
    LAST_POLL,
    Timeline,
    merge,
    polling_period,
    recording_timeline,
    series_name,
)
from prometheus_tools import (
    RULES,
    Alert,
    alert_rules,
    labels_of,
    prometheus_program,
    promtool_test,
    render,
    rule_groups,
    series_at,
)
from ska_tango_event_monitor.recording import read_recording

DATA = Path(__file__).parent / "data"
KEEPALIVE = DATA / "scenario_keepalive.jsonl"  # EventLab/stuck's event thread blocked for good
MISSED = DATA / "scenario_missed_events.jsonl"
RESTART = DATA / "scenario_publisher_restart.jsonl"
RING = DATA / "scenario_ring50_slow_node.jsonl.gz"  # RingNode/17 slow on temperature
HEALTHY = DATA / "scenario_healthy.jsonl"
SCAN = DATA / "scenario_scan_and_drain.jsonl"  # the tutorial's scan, 1 s polls
PERF_FIRST_POLL = DATA / "scenario_perf_first_poll.jsonl.gz"  # 20 healthy servers
PUB, SINK, STUCK = "dserver/EventLab/pub", "dserver/EventLab/sink", "dserver/EventLab/stuck"
BACKLOG_SERIES = "stream:tango_event_backlog_events:pushed_minus_received"
STREAM = {"stream": "lab/source/1/value", "event_type": "change"}
VERDICT, LAG = "tango_event_stream_verdict", "tango_event_stream_lag_seconds"
WORST_LAG = "server:tango_event_stream_lag_seconds:max"


def scraped(timeline: Timeline, step: int, name: str, labels: dict[str, str]) -> Alert:
    """An alert on the series `name{labels}` of scrape `step`, with its value there."""
    scrape = timeline.scrapes[step]
    assert scrape is not None
    return Alert(labels, scrape[series_name(name, labels)])


def test_promtool_checks_the_rules() -> None:
    done = subprocess.run(
        [prometheus_program("promtool"), "check", "rules", str(RULES)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rules = sum(len(group["rules"]) for group in rule_groups())
    assert f"SUCCESS: {rules} rules found" in done.stdout


def test_the_backlog_summary_names_the_stream_and_both_servers() -> None:
    labels = {**STREAM, "server": STUCK, "publisher": PUB, "instance": "b", "job": "j"}
    summary = alert_rules()["TangoEventBacklogGrowing"]["annotations"]["summary"]
    assert render(summary, labels, 483) == (
        "dserver/EventLab/stuck falls behind on lab/source/1/value (change): 483 events pushed "
        "by dserver/EventLab/pub not yet received"
    )


@pytest.mark.parametrize("sharded", [False, True], ids=["one monitor", "two monitors"])
def test_backlog_of_a_stuck_subscriber_across_monitors(tmp_path: Path, sharded: bool) -> None:
    """The recorded backlog is the exporter's own, whichever monitor sees which server; the
    alert fires for the stuck subscriber only, from its monitor."""
    whole = recording_timeline(KEEPALIVE, "monitor")
    shard_of = {PUB: "shard-a", SINK: "shard-a", STUCK: "shard-b"}
    if sharded:  # the publisher and the healthy sink in one, the stuck sink in the other
        shards = [
            recording_timeline(KEEPALIVE, name, lambda admin, name=name: shard_of[admin] == name)
            for name in ("shard-a", "shard-b")
        ]
        timeline = merge(*shards)
    else:
        timeline = whole
    instance = (lambda server: shard_of[server]) if sharded else (lambda server: "monitor")

    def recorded(step: int) -> list[tuple[str, float]]:
        found = []
        for series, value in series_at(whole, step, "tango_event_backlog_events").items():
            labels = {**labels_of(series), "instance": instance(labels_of(series)["server"])}
            found.append((series_name(BACKLOG_SERIES, labels), value))
        return found

    stuck = {**STREAM, "server": STUCK, "publisher": PUB, "instance": instance(STUCK)}
    stuck["job"] = JOB
    backlog_at = {
        step: dict(recorded(step))[series_name(BACKLOG_SERIES, stuck)] for step in (2, 24)
    }
    assert backlog_at == {2: 43, 24: 483}, "the stuck sink falls 20 events behind per poll"
    exporter_own = {'tango_event_backlog_events{server="dserver/EventLab/stuck"}': []}

    def firing(step: int, backlog: float) -> dict[str, list[Alert]]:
        """The backlog alert; with one monitor also the stream's verdict and lag (a monitor
        without the publisher has neither)."""
        alerts = {"TangoEventBacklogGrowing": [Alert(stuck, backlog)]}
        if not sharded:  # STALLED from the third poll, its lag 30 s at least (the --window)
            stalled = {**stuck, "verdict": "STALLED"}
            alerts["TangoEventStreamStalled"] = [scraped(whole, step, VERDICT, stalled)]
            alerts["TangoEventStreamLagHigh"] = [scraped(whole, step, LAG, stuck)]
        return alerts

    promtool_test(
        tmp_path,
        timeline,
        interval=polling_period(list(read_recording(KEEPALIVE))),
        alerts={
            20: {},  # growing, but not yet for 30 s; STALLED, lagging, not yet for 2 minutes
            240: firing(24, 483),
            290: firing(29, 583),
        },
        samples={
            60: {BACKLOG_SERIES: recorded(6)},
            240: {BACKLOG_SERIES: recorded(24), **(exporter_own if sharded else {})},
        },
    )


def test_missed_events(tmp_path: Path) -> None:
    missed = {**STREAM, "server": SINK, "instance": "monitor", "job": JOB}
    promtool_test(
        tmp_path,
        recording_timeline(MISSED, "monitor"),
        interval=1,
        alerts={0: {}, 7: {"TangoEventMissedEvents": [Alert(missed, 124)]}},
    )


def test_publisher_restart(tmp_path: Path) -> None:
    """Down for 3 polls, back with its counters from 0: a restart, too short for an alert
    about the server not answering."""
    restarted = {"server": PUB, "instance": "monitor", "job": JOB}
    promtool_test(
        tmp_path,
        recording_timeline(RESTART, "monitor"),
        interval=1,
        alerts={5: {}, 23: {"TangoEventPublisherRestarted": [Alert(restarted)]}},
    )


def test_a_server_that_stays_down(tmp_path: Path) -> None:
    """The restart recording up to the publisher's first failed poll, then as if it never
    answered again: the alert after a minute of polls without an answer."""
    down = {"server": PUB, "instance": "monitor", "job": JOB}
    timeline = recording_timeline(RESTART, "monitor", upto=4).extend(80)
    assert (
        series_at(timeline, 3, "tango_event_server_up")[series_name("tango_event_server_up", down)]
        == 0
    )
    promtool_test(
        tmp_path,
        timeline,
        interval=1,
        alerts={50: {}, 70: {"TangoEventServerNotAnswering": [Alert(down, 0)]}},
    )


def test_a_slow_node_in_a_ring_of_50(tmp_path: Path) -> None:
    """RingNode/17's temperature callback takes 0.6 s per 0.5 s event: its backlog grows on
    its three input streams, its event thread is saturated, its callbacks late; the 49 others
    raise nothing. The 18 s recording continued for 3 minutes as it went."""
    timeline = recording_timeline(RING, "monitor").extend(90)
    step, seconds = 95, 190
    node = {"server": "dserver/RingNode/17", "instance": "monitor", "job": JOB}
    scrape = timeline.scrapes[step]
    assert scrape is not None

    def backlog(attribute: str) -> Alert:
        stream = {"stream": f"ring/sensor/18/{attribute}", "event_type": "change"}
        pushed = scrape[
            series_name(
                "tango_event_pushed_total",
                {**stream, "server": "dserver/RingNode/18", "instance": "monitor", "job": JOB},
            )
        ]
        received = scrape[
            series_name("tango_event_last_received_server_counter", {**stream, **node})
        ]
        return Alert({**node, **stream, "publisher": "dserver/RingNode/18"}, pushed - received)

    def growth(name: str, **labels: str) -> float:
        before = timeline.scrapes[step - 1] or {}
        key = series_name(name, {**node, **labels})
        return scrape[key] - before[key]

    processing = sum(
        growth("tango_event_processing_seconds_sum", attribute=attribute)
        for attribute in ("temperature", "pressure", "humidity")
    )
    busy = processing / (processing + growth("tango_event_sleep_seconds_sum"))
    assert busy > 0.99, "the queue is never empty: the thread never sleeps"
    latency = scrape[
        series_name("tango_event_callback_latency_seconds", {**node, "quantile": "0.9"})
    ]

    def falling_behind(attribute: str) -> Alert:
        labels = backlog(attribute).labels
        return scraped(timeline, step, VERDICT, {**labels, "verdict": "FALLING_BEHIND"})

    promtool_test(
        tmp_path,
        timeline,
        interval=polling_period(list(read_recording(RING))),
        alerts={
            seconds: {
                "TangoEventBacklogGrowing": [
                    backlog(a) for a in ("humidity", "pressure", "temperature")
                ],
                "TangoEventThreadSaturated": [Alert(node, busy)],
                "TangoEventCallbackLatencyHigh": [Alert({**node, "quantile": "0.9"}, latency)],
                # its lag grows to 5.5 s, below the lag alert's 10 s
                "TangoEventStreamFallingBehind": [
                    falling_behind(a) for a in ("humidity", "pressure", "temperature")
                ],
            }
        },
    )


def test_the_tutorial_scan_had_it_gone_on(tmp_path: Path) -> None:
    """The tutorial's scan up to its 21st poll (the slow position callback FALLING_BEHIND,
    its lag past 10 s; the mode event pushed at the end STALLED behind it), continued as it
    was: the verdict and lag alerts after their 2 minutes, and the worst lag of TopDevice's
    server recorded. Only the health series and the monitor's own are fed to promtool: the
    continued counters would raise the backlog, saturation and latency alerts as well, which
    their own tests check."""
    kept = (VERDICT, LAG, "tango_event_stream_lag_at_least", "up", LAST_POLL)
    timeline = Timeline(
        [
            {k: v for k, v in (scrape or {}).items() if k.split("{")[0] in kept}
            for scrape in recording_timeline(SCAN, "monitor", upto=21).extend(150).scrapes
        ]
    )
    top = {"server": "dserver/MyServer/top", "publisher": "dserver/MyServer/hw"}
    top |= {"event_type": "change", "instance": "monitor", "job": JOB}
    position = {**top, "stream": "foo/bar/hw/position"}
    mode = {**top, "stream": "foo/bar/hw/mode"}
    conditions = {  # each alert's: it fires 2 minutes after the first scrape that meets it
        "behind": (VERDICT, {**position, "verdict": "FALLING_BEHIND"}, 1),
        "stalled": (VERDICT, {**mode, "verdict": "STALLED"}, 1),
        "lag": (LAG, position, 10.001),
    }
    first = {
        name: next(
            i
            for i, scrape in enumerate(timeline.scrapes)
            if (scrape or {}).get(series_name(metric, labels), 0) >= least
        )
        for name, (metric, labels, least) in conditions.items()
    }
    assert first == {"behind": 6, "stalled": 13, "lag": 18}
    lags = series_at(timeline, 20, LAG)
    worst = max(
        value for series, value in lags.items() if labels_of(series)["server"] == top["server"]
    )
    assert worst == lags[series_name(LAG, position)] > 10
    promtool_test(
        tmp_path,
        timeline,
        interval=1,
        alerts={
            120: {},
            140: {
                "TangoEventStreamFallingBehind": [
                    scraped(timeline, 20, VERDICT, {**position, "verdict": "FALLING_BEHIND"})
                ],
                "TangoEventStreamStalled": [
                    scraped(timeline, 20, VERDICT, {**mode, "verdict": "STALLED"})
                ],
                "TangoEventStreamLagHigh": [scraped(timeline, 20, LAG, position)],
            },
        },
        samples={
            140: {
                WORST_LAG: [
                    (
                        series_name(WORST_LAG, {k: top[k] for k in ("instance", "job", "server")}),
                        worst,
                    )
                ]
            }
        },
    )


@pytest.mark.parametrize("recording", [HEALTHY, PERF_FIRST_POLL], ids=lambda p: p.name)
def test_a_healthy_system_raises_no_alert(tmp_path: Path, recording: Path) -> None:
    interval = polling_period(list(read_recording(recording)))
    timeline = recording_timeline(recording, "monitor").extend(400 // interval)
    promtool_test(tmp_path, timeline, interval, alerts={30: {}, 180: {}, 390: {}})


def test_a_monitor_that_no_longer_polls(tmp_path: Path) -> None:
    """It answers scrapes with the same poll for 5 minutes and more."""
    timeline = recording_timeline(HEALTHY, "monitor").extend(60).hold(340)
    stuck = {"instance": "monitor", "job": JOB}
    promtool_test(
        tmp_path,
        timeline,
        interval=1,
        alerts={300: {}, 400: {"TangoEventMonitorStuck": [Alert(stuck, 0)]}},
    )


def test_monitors_that_are_not_scraped(tmp_path: Path) -> None:
    """Two monitors go down, one in a job of another name (found by the metrics it exported);
    a node exporter going down is none of ours."""
    ours = recording_timeline(HEALTHY, "monitor").extend(30).down(90, "monitor")
    pod = recording_timeline(HEALTHY, "pod-b:9100", job="kubernetes-pods").extend(30)
    pod.down(90, "pod-b:9100", job="kubernetes-pods")
    node = Timeline([{'up{instance="node-x",job="node"}': 1.0}] * 35)
    node.add(*[{'up{instance="node-x",job="node"}': 0.0}] * 90)
    down = [
        Alert({"instance": "monitor", "job": JOB}, 0),
        Alert({"instance": "pod-b:9100", "job": "kubernetes-pods"}, 0),
    ]
    promtool_test(
        tmp_path,
        merge(ours, pod, node),
        interval=1,
        alerts={80: {}, 100: {"TangoEventMonitorDown": down}},
    )


def test_no_monitor_at_all(tmp_path: Path) -> None:
    node = Timeline([{'up{instance="node-x",job="node"}': 1.0}]).hold(70)
    promtool_test(
        tmp_path,
        node,
        interval=10,
        alerts={240: {}, 360: {"TangoEventMonitorAbsent": [Alert({})]}},
    )
