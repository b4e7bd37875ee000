"""Stream health in the Prometheus exporter: `tango_event_stream_lag_seconds`,
`tango_event_stream_lag_at_least` and the `tango_event_stream_verdict` state series, scraped
from the real exporter over HTTP after each snapshot of a recording of real servers, equal
to the JSON output's `health` entries for the same snapshot (the core computes them once;
the exporter only exposes them), and what the truth files say happened."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families

from conftest import DATA
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.health import Verdict
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.prometheus.collector import LatestSnapshot, make_registry, serve
from ska_tango_event_monitor.recording import read_recording

SCAN, BLOCKED = "scenario_scan_and_drain.jsonl", "scenario_blocked_forever.jsonl"
CROSS = "scenario_cross_database_behind.jsonl"  # the subscriber in another Tango database
LAG, AT_LEAST = "tango_event_stream_lag_seconds", "tango_event_stream_lag_at_least"
VERDICT = "tango_event_stream_verdict"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# server (the subscriber), tango_host, stream, event_type, publisher, publisher_tango_host
StreamLabels = tuple[str, str, str, str, str, str]
KEY = ("server", "tango_host", "stream", "event_type", "publisher", "publisher_tango_host")


def json_reports(name: str) -> list[dict[str, Any]]:
    """The CLI's `--replay NAME --format json`, one object per snapshot (not the summary)."""
    monitor = Path(sys.executable).with_name("ska-tango-event-monitor")
    done = subprocess.run(
        [str(monitor), "--replay", str(DATA / name), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    objects = [json.loads(line) for line in done.stdout.splitlines()]
    return [report for report in objects if "summary" not in report]


def scrapes(name: str, accept: str | None = None) -> list[str]:
    """The exporter's /metrics after each snapshot of the recording, over HTTP on loopback."""
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    texts = []
    with serve("127.0.0.1:0", make_registry(latest)) as server:
        request = urllib.request.Request(server.url, headers={"Accept": accept} if accept else {})
        for snapshot in read_recording(DATA / name):
            report = session.update(snapshot)
            latest.update(snapshot, report, report.states)
            with urllib.request.urlopen(request, timeout=10) as response:
                texts.append(response.read().decode())
    return texts


def series(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The samples of metric `name`, parsed by prometheus_client: sorted labels -> value."""
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == name
        for sample in family.samples
    }


def by_stream(text: str, name: str) -> dict[StreamLabels, float]:
    found = {}
    for labels, value in series(text, name).items():
        named = dict(labels)
        found[tuple(named[label] for label in KEY)] = value
    return found


def verdicts(text: str) -> dict[StreamLabels, dict[str, float]]:
    """Per stream, its verdict series: verdict -> 0 or 1."""
    found: dict[StreamLabels, dict[str, float]] = {}
    for labels, value in series(text, VERDICT).items():
        named = dict(labels)
        key = tuple(named[label] for label in KEY)
        found.setdefault(key, {})[named["verdict"]] = value
    return found


def streams_of(report: dict[str, Any]) -> list[tuple[StreamLabels, dict[str, Any]]]:
    """A JSON report's health entries, each with its stream as the exporter labels it (the
    databases from the report's servers: empty in a recording made without them)."""
    databases = {server["admin"]: server["tango_host"] or "" for server in report["servers"]}
    found = []
    for health in report["health"]:
        stream, _, event_type = stream_key(health["topic"]).rpartition(".")
        subscriber, publisher = health["subscriber"], health["publisher"]
        labels = (subscriber, databases[subscriber], stream, event_type)
        found.append(((*labels, publisher, databases[publisher]), health))
    return found


@pytest.fixture(scope="module", params=[SCAN, BLOCKED, CROSS])
def replayed(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]], list[str]]:
    return request.param, json_reports(request.param), scrapes(request.param)


def test_the_lag_equals_the_json_health_at_every_snapshot(replayed: Any) -> None:
    name, reports, texts = replayed
    assert len(reports) == len(texts) == len(list(read_recording(DATA / name)))
    known = 0
    for report, text in zip(reports, texts, strict=True):
        health = [(key, h) for key, h in streams_of(report) if h["lag_s"] is not None]
        lags = {key: h["lag_s"] for key, h in health}
        assert by_stream(text, LAG) == lags
        bounds = {key: float(h["lag_at_least"]) for key, h in health}
        assert by_stream(text, AT_LEAST) == bounds
        known += len(lags)
    assert known > 0


def test_one_verdict_series_per_verdict_at_one_for_the_json_verdict(replayed: Any) -> None:
    """A stream not judged yet has all its verdict series at 0; every verdict of the JSON
    output is in them."""
    _, reports, texts = replayed
    seen = set()
    for report, text in zip(reports, texts, strict=True):
        expected = {
            key: {v.name: float(v.name == h["verdict"]) for v in Verdict}
            for key, h in streams_of(report)
        }
        assert verdicts(text) == expected
        seen |= {h["verdict"] for h in report["health"]}
    assert None in seen and seen - {None}  # the first polls are not judged, later ones are


def test_the_scan_falls_behind_with_a_growing_lag_then_both_streams_are_ok() -> None:
    """TopDevice's position callback is slower than the 10 Hz scan: FALLING_BEHIND while the
    lag grows; the mode event pushed at the end waits behind it (STALLED); after the drain
    both are OK and caught up (the truth file: nothing behind at the last polls)."""
    texts = scrapes(SCAN)
    truth = json.loads((DATA / SCAN.replace(".jsonl", ".truth.json")).read_text())
    top, hw = ("dserver/MyServer/top", ""), ("dserver/MyServer/hw", "")  # no tango_host
    position = (*top, "foo/bar/hw/position", "change", *hw)
    mode = (*top, "foo/bar/hw/mode", "change", *hw)

    def state(text: str, stream: StreamLabels) -> str | None:
        [found] = [v for v, on in verdicts(text).get(stream, {}).items() if on == 1] or [None]
        return found

    behind = [i for i, text in enumerate(texts) if state(text, position) == "FALLING_BEHIND"]
    assert len(behind) >= 10
    lags = [by_stream(texts[i], LAG)[position] for i in behind]
    assert lags == sorted(lags) and lags[-1] > lags[0] + 5
    assert "STALLED" in {state(text, mode) for text in texts}
    last = truth["polls"][-1]["streams"]
    assert all(stream["behind"] == 0 for stream in last)
    for stream in (position, mode):
        assert state(texts[-1], stream) == "OK"
        assert by_stream(texts[-1], LAG)[stream] == 0


def test_a_blocked_thread_is_stalled_beside_its_ok_twin_with_the_truths_lag() -> None:
    """EventLab/blocked's callback never returns: its two streams STALLED, their lag within
    a polling period (1 s) of the truth's oldest waiting event; EventLab/sink stays OK."""
    texts = scrapes(BLOCKED)
    truth = json.loads((DATA / BLOCKED.replace(".jsonl", ".truth.json")).read_text())
    final = verdicts(texts[-1])
    lags = by_stream(texts[-1], LAG)
    for stream in truth["polls"][-1]["streams"]:
        subscriber = stream["subscriber"]
        attribute, _, event_type = stream["stream"].rpartition(".")
        key = (subscriber, "", attribute, event_type, "dserver/EventLab/pub", "")
        on = [verdict for verdict, value in final[key].items() if value == 1]
        if subscriber == "dserver/EventLab/blocked":
            assert on == ["STALLED"]
            assert abs(lags[key] - stream["oldest_waiting_s"]) <= 1.0, (key, lags[key])
        else:
            assert on == ["OK"] and lags[key] == 0


def test_the_openmetrics_exposition_parses_with_the_same_values() -> None:
    """Prometheus asks for OpenMetrics first: the same lag and verdict series in it."""
    plain, negotiated = scrapes(BLOCKED)[-1], scrapes(BLOCKED, OPENMETRICS)[-1]
    assert negotiated.endswith("# EOF\n")
    families = {f.name: f for f in openmetrics_families(negotiated)}
    for name in (LAG, AT_LEAST, VERDICT):
        assert families[name].type == "gauge"
        parsed = {tuple(sorted(s.labels.items())): s.value for s in families[name].samples}
        assert parsed == series(plain, name) != {}


def test_without_analysis_no_lag_nor_verdict() -> None:
    """The lag and the verdicts come from the analysis (--no-analysis has none)."""
    session, latest = MonitorSession(), LatestSnapshot()
    for snapshot in read_recording(DATA / BLOCKED):
        report = session.update(snapshot)
        latest.update(snapshot, report, report.states)
    text = generate_latest(make_registry(latest)).decode()
    assert series(text, "tango_event_backlog_events")  # the backlog is still joined
    assert series(text, LAG) == series(text, AT_LEAST) == series(text, VERDICT) == {}


def test_another_databases_subscriber_has_both_databases_in_its_labels() -> None:
    """EventLab/sink, in another Tango database than EventLab/pub, falls behind: its lag and
    verdict series say which database each side belongs to."""
    report, text = json_reports(CROSS)[-1], scrapes(CROSS)[-1]
    [(key, health)] = streams_of(report)
    server, tango_host, _, _, publisher, publisher_tango_host = key
    assert (server, publisher) == ("dserver/EventLab/sink", "dserver/EventLab/pub")
    assert "" != tango_host != publisher_tango_host != ""
    assert by_stream(text, LAG) == {key: health["lag_s"]} and health["lag_s"] > 0
    assert verdicts(text)[key]["FALLING_BEHIND"] == 1
