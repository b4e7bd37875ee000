"""The Prometheus exporter: exposition of recorded snapshots, scraping, the textfile."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.findings.judged import CHECKS
from ska_tango_event_monitor.core.session import MonitorSession, Snapshot
from ska_tango_event_monitor.prometheus.collector import (
    DEFAULT_HOST,
    AddressError,
    EventSystemCollector,
    LatestSnapshot,
    PrometheusUnavailable,
    TextfileError,
    make_registry,
    parse_address,
    require_prometheus_client,
    serve,
    write_textfile,
)
from ska_tango_event_monitor.recording import read_recording

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "prometheus_slow_callback.txt"
DASHBOARD = REPO / "docs" / "grafana-dashboard.json"
HW, TOP = "dserver/MyServer/hw", "dserver/MyServer/top"
# The snapshot of the golden file: TopDevice's event thread is 10 position events behind.
GOLDEN_INDEX = 2
# The recording predates `duration_s`: fixed query durations, to show that metric too.
DURATIONS = {HW: 0.0012, TOP: 0.0034}


def deterministic(snapshot: Snapshot) -> Snapshot:
    """UTC times (the recording's are naive local times) and fixed query durations."""
    polls = tuple(replace(poll, duration_s=DURATIONS.get(poll.admin)) for poll in snapshot.polls)
    return replace(snapshot, time=snapshot.time.replace(tzinfo=timezone.utc), polls=polls)


def feed(session: MonitorSession, latest: LatestSnapshot, snapshot: Snapshot) -> None:
    """What the polling loop does after each poll."""
    report = session.update(snapshot)
    states = {p.admin: session.last_state(p.admin) for p in snapshot.polls}
    latest.update(snapshot, report, {a: s for a, s in states.items() if s is not None})


def replay(path: Path, upto: int, session: MonitorSession | None = None) -> LatestSnapshot:
    session = MonitorSession(Analyser()) if session is None else session
    latest = LatestSnapshot()
    for snapshot in recorded(path)[: upto + 1]:
        feed(session, latest, snapshot)
    return latest


def recorded(path: Path) -> list[Snapshot]:
    return [deterministic(snapshot) for snapshot in read_recording(path)]


def raw_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def exposition(latest: LatestSnapshot) -> str:
    return generate_latest(make_registry(latest)).decode()


def samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Sample name -> sorted label pairs -> value, parsed by prometheus_client."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def value(parsed: dict, name: str, **labels: str) -> float:
    return parsed[name][tuple(sorted(labels.items()))]


def labels_of(name: str) -> dict[str, str]:
    """`tango://127.0.0.1:45963/foo/bar/hw/mode.idl5_change` -> stream and event_type."""
    short = re.sub(r"^tango://[^/]+/", "", name)
    stream, _, event_type = short.rpartition(".")
    return {"stream": stream, "event_type": event_type.removeprefix("idl5_")}


# --- (a) the golden exposition -------------------------------------------------------------


def test_exposition_of_a_recorded_snapshot_matches_the_golden_file(recorded_scan: Path) -> None:
    text = exposition(replay(recorded_scan, GOLDEN_INDEX))
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "UPDATE_GOLDEN=1 regenerates it; review the diff"


def test_exposition_is_the_same_on_every_replay(recorded_scan: Path) -> None:
    assert exposition(replay(recorded_scan, 3)) == exposition(replay(recorded_scan, 3))


# --- (b) values against the raw replies ----------------------------------------------------


def test_stream_values_equal_the_raw_reply(recorded_scan: Path) -> None:
    parsed = samples(exposition(replay(recorded_scan, GOLDEN_INDEX)))
    servers = {s["admin"]: s["reply"] for s in raw_lines(recorded_scan)[GOLDEN_INDEX]["servers"]}
    pushed = {}
    for stream, counter in servers[HW]["server"]["event_counters"].items():
        labels = labels_of(stream)
        pushed[labels["stream"], labels["event_type"]] = counter - 1
        assert (
            value(parsed, "tango_event_pushed_total", server=HW, tango_host="", **labels)
            == counter - 1
        )
    callbacks = servers[TOP]["client"]["event_callbacks"]
    assert callbacks
    for topic, entry in callbacks.items():
        labels = labels_of(topic)
        for name, key in (
            ("tango_event_last_received_server_counter", "server_counter"),
            ("tango_event_processed_total", "event_count"),
            ("tango_event_missed_total", "missed_event_count"),
            ("tango_event_discarded_total", "discarded_event_count"),
            ("tango_event_callbacks_registered", "callback_count"),
        ):
            assert value(parsed, name, server=TOP, tango_host="", **labels) == entry[key], (
                name,
                topic,
            )
        backlog = pushed[labels["stream"], labels["event_type"]] - entry["server_counter"]
        found = value(
            parsed,
            "tango_event_backlog_events",
            server=TOP,
            tango_host="",
            publisher=HW,
            publisher_tango_host="",
            **labels,
        )
        assert found == backlog
    assert value(
        parsed,
        "tango_event_backlog_events",
        server=TOP,
        tango_host="",
        publisher=HW,
        publisher_tango_host="",
        stream="foo/bar/hw/position",
        event_type="change",
    ) == pytest.approx(10)


def test_server_values(recorded_scan: Path) -> None:
    parsed = samples(exposition(replay(recorded_scan, GOLDEN_INDEX)))
    for admin, duration in DURATIONS.items():
        assert value(parsed, "tango_event_server_up", server=admin, tango_host="") == 1
        assert (
            value(parsed, "tango_event_server_query_duration_seconds", server=admin, tango_host="")
            == duration
        )
    time = recorded(recorded_scan)[GOLDEN_INDEX].time
    assert value(parsed, "tango_event_monitor_last_poll_timestamp_seconds") == time.timestamp()


def test_summaries_follow_the_raw_samples(recorded_scan: Path) -> None:
    """Quantiles of the latest reply's samples; _count and _sum of every reply so far."""
    parsed = samples(exposition(replay(recorded_scan, GOLDEN_INDEX)))
    lines = raw_lines(recorded_scan)[: GOLDEN_INDEX + 1]
    perf = [_top_client_perf(line) for line in lines]
    kept = [[s for s in reply if not s["discarded"]] for reply in perf]
    latest_latencies = sorted(s["first_callback_latency_micros"] for s in kept[-1])
    median = value(
        parsed, "tango_event_callback_latency_seconds", server=TOP, tango_host="", quantile="0.5"
    )
    assert median == pytest.approx(_median(latest_latencies) / 1e6)
    processing = [
        s["process_micros"] for reply in kept for s in reply if s["attr_name"] == "position"
    ]
    labels = {"server": TOP, "tango_host": "", "attribute": "position"}
    assert value(parsed, "tango_event_processing_seconds_count", **labels) == len(processing)
    assert value(parsed, "tango_event_processing_seconds_sum", **labels) == pytest.approx(
        sum(processing) / 1e6
    )
    assert value(
        parsed, "tango_event_perf_samples", server=TOP, tango_host="", side="client"
    ) == len(perf[-1])
    assert all(v < 1 for v in parsed["tango_event_push_seconds"].values()), "in seconds"


def _top_client_perf(line: dict[str, Any]) -> list[dict[str, Any]]:
    reply = next(s["reply"] for s in line["servers"] if s["admin"] == TOP)
    return reply["client"]["perf"] or []


def _median(ordered: list[int]) -> float:
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_backlog_without_analysis(recorded_scan: Path) -> None:
    """--no-analysis: no backlog in the report, the exporter joins the streams itself."""
    with_analysis = samples(exposition(replay(recorded_scan, GOLDEN_INDEX)))
    without = samples(exposition(replay(recorded_scan, GOLDEN_INDEX, MonitorSession())))
    name = "tango_event_backlog_events"
    assert without[name] == with_analysis[name]


# --- (c) a server that did not answer --------------------------------------------------------


def failed(snapshot: Snapshot, admin: str, error: str = "API_CantConnectToDevice") -> Snapshot:
    polls = tuple(
        replace(poll, reply=None, error=error, duration_s=None) if poll.admin == admin else poll
        for poll in snapshot.polls
    )
    return replace(snapshot, polls=polls)


def test_a_server_that_did_not_answer_is_down(recorded_scan: Path) -> None:
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    snapshots = recorded(recorded_scan)
    for snapshot in snapshots[:GOLDEN_INDEX]:
        feed(session, latest, snapshot)
    feed(session, latest, failed(snapshots[GOLDEN_INDEX], HW))
    parsed = samples(exposition(latest))
    assert value(parsed, "tango_event_server_up", server=HW, tango_host="") == 0
    assert value(parsed, "tango_event_server_up", server=TOP, tango_host="") == 1
    assert list(parsed["tango_event_server_query_duration_seconds"]) == [
        (("server", TOP), ("tango_host", ""))
    ]
    assert "tango_event_pushed_total" not in parsed, "the only publisher is down"
    assert "tango_event_backlog_events" not in parsed, "no publisher to compare with"
    assert value(
        parsed,
        "tango_event_processed_total",
        server=TOP,
        tango_host="",
        stream="foo/bar/hw/position",
        event_type="change",
    ) == pytest.approx(10)

    feed(session, latest, snapshots[GOLDEN_INDEX + 1])  # back again
    parsed = samples(exposition(latest))
    assert value(parsed, "tango_event_server_up", server=HW, tango_host="") == 1
    assert parsed["tango_event_pushed_total"]


def test_only_the_up_gauge_names_a_down_server(recorded_scan: Path) -> None:
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    snapshots = recorded(recorded_scan)
    for snapshot in snapshots[:GOLDEN_INDEX]:
        feed(session, latest, snapshot)
    feed(session, latest, failed(snapshots[GOLDEN_INDEX], HW))
    parsed = samples(exposition(latest))
    naming_hw = {
        name for name, series in parsed.items() for labels in series if ("server", HW) in labels
    }
    # its state is gone: only whether it answers, the "no reply" finding, and the checks
    # that could not be made on it
    assert naming_hw == {
        "tango_event_server_up",
        "tango_event_finding",
        "tango_event_check_judged",
    }
    hw_findings = [
        dict(labels) for labels in parsed["tango_event_finding"] if ("server", HW) in labels
    ]
    assert [(f["kind"], f["severity"]) for f in hw_findings] == [("no reply", "ERROR")]
    judged = {
        dict(labels)["check"]: v
        for labels, v in parsed["tango_event_check_judged"].items()
        if ("server", HW) in labels
    }
    assert judged == dict.fromkeys(CHECKS, 0.0)


def test_down_from_the_first_poll_and_unreadable_replies(recorded_scan: Path) -> None:
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    first = recorded(recorded_scan)[0]
    unreadable = replace(
        first,
        polls=tuple(
            replace(p, reply={"version": 2}) if p.admin == TOP else p
            for p in failed(first, HW).polls
        ),
    )
    feed(session, latest, unreadable)
    parsed = samples(exposition(latest))
    assert parsed["tango_event_server_up"] == {
        (("server", HW), ("tango_host", "")): 0,
        (("server", TOP), ("tango_host", "")): 0,
    }
    assert "tango_event_last_received_server_counter" not in parsed


def test_nothing_before_the_first_poll() -> None:
    assert exposition(LatestSnapshot()) == ""


def test_a_scrape_reads_one_state_even_if_a_poll_lands_during_it(recorded_scan: Path) -> None:
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    snapshots = recorded(recorded_scan)
    feed(session, latest, snapshots[0])
    families = EventSystemCollector(latest).collect()
    first = next(families)
    feed(session, latest, snapshots[1])
    registry = CollectorRegistry()
    registry.register(_Fixed([first, *families]))
    parsed = samples(generate_latest(registry).decode())
    assert parsed["tango_event_monitor_last_poll_timestamp_seconds"][()] == (
        snapshots[0].time.timestamp()
    )
    assert set(parsed["tango_event_pushed_total"].values()) == {0}, "counters of poll 0"


class _Fixed:
    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self) -> Iterator:
        yield from self.families


def test_concurrent_polls_and_scrapes_stay_consistent(recorded_scan: Path) -> None:
    """Each scrape shows one poll: its time and its counters belong together."""
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    snapshots = recorded(recorded_scan)
    registry = make_registry(latest)
    expected = {}
    for snapshot in snapshots:
        feed(session, latest, snapshot)
        parsed = samples(generate_latest(registry).decode())
        expected[parsed["tango_event_monitor_last_poll_timestamp_seconds"][()]] = parsed[
            "tango_event_pushed_total"
        ]
    stop = threading.Event()

    def poll_forever() -> None:
        while not stop.is_set():
            replayed = MonitorSession(Analyser())
            for snapshot in snapshots:
                feed(replayed, latest, snapshot)

    poller = threading.Thread(target=poll_forever)
    poller.start()
    try:
        for _ in range(100):
            parsed = samples(generate_latest(registry).decode())
            time = parsed["tango_event_monitor_last_poll_timestamp_seconds"][()]
            assert parsed["tango_event_pushed_total"] == expected[time]
    finally:
        stop.set()
        poller.join(timeout=30)


# --- (d) serving -----------------------------------------------------------------------------


def test_serve_on_a_free_loopback_port_and_scrape(recorded_scan: Path) -> None:
    latest = replay(recorded_scan, GOLDEN_INDEX)
    with serve("127.0.0.1:0", make_registry(latest)) as server:
        assert server.host == "127.0.0.1" and server.port > 0
        with urllib.request.urlopen(server.url, timeout=10) as response:
            assert response.status == 200
            text = response.read().decode()
    parsed = samples(text)
    assert value(parsed, "tango_event_server_up", server=TOP, tango_host="") == 1
    assert text == exposition(latest)


def test_a_port_in_use_is_one_line_error() -> None:
    registry = CollectorRegistry()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(AddressError) as caught:
            serve(f"127.0.0.1:{port}", registry)
    message = str(caught.value)
    assert "\n" not in message
    assert f"127.0.0.1:{port}" in message and "in use" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9100", (DEFAULT_HOST, 9100)),
        ("0.0.0.0:9100", ("0.0.0.0", 9100)),
        ("localhost:0", ("localhost", 0)),
        ("[::1]:9100", ("::1", 9100)),
    ],
)
def test_parse_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "70000", "-1", "9100.5", "host:", ":9100", "::1:9100", "h:65536"]
)
def test_bad_addresses_are_one_line_errors(text: str) -> None:
    with pytest.raises(AddressError) as caught:
        parse_address(text)
    assert "\n" not in str(caught.value)
    assert repr(text) in str(caught.value)


# --- (e) the textfile ------------------------------------------------------------------------


def test_textfile_is_written_atomically_and_parses(recorded_scan: Path, tmp_path: Path) -> None:
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    registry = make_registry(latest)
    path = tmp_path / "tango_event.prom"
    snapshots = recorded(recorded_scan)
    feed(session, latest, snapshots[0])
    write_textfile(path, registry)
    before = path.stat().st_ino
    for snapshot in snapshots[1 : GOLDEN_INDEX + 1]:
        feed(session, latest, snapshot)
    write_textfile(path, registry)
    assert path.stat().st_ino != before, "a new file renamed over the old one"
    assert sorted(tmp_path.iterdir()) == [path], "no temporary file left"
    assert path.read_text() == GOLDEN.read_text()
    assert value(samples(path.read_text()), "tango_event_server_up", server=HW, tango_host="") == 1


def test_textfile_failure_keeps_the_old_file(tmp_path: Path) -> None:
    registry = make_registry(LatestSnapshot())
    taken = tmp_path / "taken.prom"
    taken.mkdir()
    (taken / "keep").write_text("old")
    for path in (taken, tmp_path / "missing" / "x.prom"):
        with pytest.raises(TextfileError) as caught:
            write_textfile(path, registry)
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert (taken / "keep").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.prom"]


# --- without the extra -----------------------------------------------------------------------


def test_without_prometheus_client_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    for call in (
        require_prometheus_client,
        lambda: make_registry(LatestSnapshot()),
        lambda: serve("127.0.0.1:0", None),
        lambda: write_textfile(tmp_path / "x.prom", None),
    ):
        with pytest.raises(PrometheusUnavailable) as caught:
            call()
        assert "\n" not in str(caught.value)
        assert "ska-tango-event-monitor[prometheus]" in str(caught.value)


def test_the_package_imports_without_prometheus_client() -> None:
    code = (
        "import sys; sys.modules['prometheus_client'] = None\n"
        "import ska_tango_event_monitor, ska_tango_event_monitor.cli.main\n"
        "import ska_tango_event_monitor.prometheus.collector\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_only_the_exporter_module_imports_prometheus_client() -> None:
    package = REPO / "src" / "ska_tango_event_monitor"
    importing = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if re.search(r"^\s*(import|from)\s+prometheus_client", path.read_text(), re.M)
    }
    assert importing <= {"prometheus/collector.py"}


# --- the Grafana dashboard -------------------------------------------------------------------


def _panels(dashboard: dict) -> Iterator[dict]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def test_dashboard_queries_only_exported_metrics(recorded_scan: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    families = {
        f.name for f in text_string_to_metric_families(exposition(replay(recorded_scan, 2)))
    }
    exported = families | {
        f"{name}_{suffix}" for name in families for suffix in ("total", "sum", "count")
    }
    expressions = [
        target["expr"] for panel in _panels(dashboard) for target in panel.get("targets", [])
    ]
    assert expressions
    for expr in expressions:
        for name in re.findall(r"\btango_event_\w+", expr):
            assert name in exported, (name, expr)
        assert 'server=~"$server"' in expr, expr
        assert 'tango_host=~"$tango_host"' in expr, expr  # two databases never merge


def test_dashboard_uses_the_datasource_variable_and_a_server_variable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"
    assert variables["server"]["type"] == "query"
    assert variables["tango_host"]["type"] == "query"
    assert "tango_event_server_up" in json.dumps(variables["server"]["query"])
    for panel in _panels(dashboard):
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
    ids = [panel["id"] for panel in _panels(dashboard)]
    assert len(ids) == len(set(ids))
