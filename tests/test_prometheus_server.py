"""A real Prometheus scraping two monitors sharded by `--server` pattern, with the package's
rules: the backlog of a slow subscriber, whose publisher another monitor watches, is joined
across the two, and its alert fires; its healthy twin raises none. The Grafana dashboard's
queries run against it.

EventLab/pub publishes lab/source/1 and lab/source/2, each pushing 20 events a second.
EventLab/slow (lab/sink/slow) takes 0.1 s in every callback of lab/source/1: it falls behind
by ~10 events a second. EventLab/twin (lab/sink/twin) has a fast callback on lab/source/2.
Monitor `shard-a` watches EventLab/pub and EventLab/twin, monitor `shard-b` EventLab/slow;
Prometheus scrapes both every second and evaluates the rules every second. Everything on
127.0.0.1; every process is stopped by its PID at the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tango
import yaml

from conftest import _lab_server
from prometheus_server import JOB, Facility, api, prometheus_config, stop, wait_ready
from prometheus_tools import RULES, prometheus_program
from ska_tango_event_monitor.local_tango import DeviceRegistration, LocalTangoDatabase, free_port

pytestmark = pytest.mark.integration

PUB, SLOW, TWIN = "dserver/EventLab/pub", "dserver/EventLab/slow", "dserver/EventLab/twin"
SHARDS = {"shard-a": ("EventLab/pub", "EventLab/twin"), "shard-b": ("EventLab/slow",)}
RATE_HZ = 20.0
SLOW_CALLBACK_S = 0.1
FIRING_WITHIN_S = 60.0  # the alert's 30 s `for`, after the first scrapes of both shards
BACKLOG_SERIES = "stream:tango_event_backlog_events:pushed_minus_received"
DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json"
# Grafana's $__rate_interval is at least 4 scrape intervals: 1 s here; `$server` is "All"
GRAFANA_VARIABLES = {"$__rate_interval": "10s", "$server": ".*", "$tango_host": ".*"}


def registrations() -> list[DeviceRegistration]:
    return [
        DeviceRegistration("EventLab/pub", "EventSource", "lab/source/1"),
        DeviceRegistration("EventLab/pub", "EventSource", "lab/source/2"),
        DeviceRegistration(
            "EventLab/slow",
            "EventSink",
            "lab/sink/slow",
            {"sources": ["lab/source/1"], "callback_delay": str(SLOW_CALLBACK_S)},
        ),
        DeviceRegistration(
            "EventLab/twin", "EventSink", "lab/sink/twin", {"sources": ["lab/source/2"]}
        ),
    ]


@pytest.fixture(scope="module")
def facility(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Facility]:
    work = tmp_path_factory.mktemp("facility")
    database = LocalTangoDatabase(log_path=work / "db.log").start()
    servers = [_lab_server(name, database.tango_host, work) for name in ("pub", "slow", "twin")]
    processes: list[tuple[subprocess.Popen, int]] = []  # with the signal that stops each
    try:
        database.register(*registrations())
        servers[0].start().wait_ready(["lab/source/1", "lab/source/2"], timeout=30)
        sinks = dict(zip(("lab/sink/slow", "lab/sink/twin"), servers[1:], strict=True))
        for server in sinks.values():
            server.start()
        for device, server in sinks.items():
            server.wait_ready([device], timeout=30)
        for source in ("lab/source/1", "lab/source/2"):
            proxy = tango.DeviceProxy(f"tango://{database.tango_host}/{source}")
            proxy.command_inout("StartPushing", RATE_HZ)
        env = {**os.environ, "TANGO_HOST": database.tango_host}
        instances = {}
        for shard, patterns in SHARDS.items():
            instances[shard] = f"127.0.0.1:{free_port()}"
            selection = [arg for pattern in patterns for arg in ("--server", pattern)]
            # shards stay apart: following would poll shard-a's publisher from shard-b too
            selection.append("--no-follow")
            with (work / f"{shard}.err").open("w") as err:
                monitor = subprocess.Popen(
                    [sys.executable, "-m", "ska_tango_event_monitor", *selection, "--monitor"]
                    + ["--polling-period", "1", "--prometheus", instances[shard]],
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=env,
                )
            processes.append((monitor, signal.SIGINT))  # SIGINT: perf monitoring off
        config = work / "prometheus.yml"
        config.write_text(yaml.safe_dump(prometheus_config(instances)))
        address = f"127.0.0.1:{free_port()}"
        log = work / "prometheus.log"
        with log.open("w") as out:
            prometheus = subprocess.Popen(
                [
                    prometheus_program("prometheus"),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={work / 'data'}",
                    f"--web.listen-address={address}",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        processes.append((prometheus, signal.SIGTERM))
        started = time.time()
        wait_ready(f"http://{address}/-/ready", prometheus, log)
        facility = Facility(f"http://{address}", instances, started, database.tango_host)
        wait_firing(facility, work)
        yield facility
    finally:
        for process, sig in reversed(processes):
            stop(process, sig)
        for server in reversed(servers):
            server.stop()
        database.stop()


def wait_firing(facility: Facility, work: Path) -> None:
    deadline = time.monotonic() + FIRING_WITHIN_S
    firing = 'ALERTS{alertname="TangoEventBacklogGrowing", alertstate="firing"}'
    while not facility.query(firing):
        if time.monotonic() > deadline:
            errors = {shard: (work / f"{shard}.err").read_text()[-2000:] for shard in SHARDS}
            targets = api(facility.prometheus, "targets")["activeTargets"]
            health = [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets]
            pytest.fail(f"no backlog alert within {FIRING_WITHIN_S:g} s: {health} {errors}")
        time.sleep(0.5)


def test_both_shards_are_scraped(facility: Facility) -> None:
    up = {s["metric"]["instance"]: s["value"][1] for s in facility.query(f'up{{job="{JOB}"}}')}
    assert up == {instance: "1" for instance in facility.instances.values()}
    servers = {
        (s["metric"]["instance"], s["metric"]["server"]): s["value"][1]
        for s in facility.query("tango_event_server_up")
    }
    a, b = facility.instances["shard-a"], facility.instances["shard-b"]
    assert servers == {(a, PUB): "1", (a, TWIN): "1", (b, SLOW): "1"}, "each server in one shard"


def test_the_backlog_of_the_slow_stream_comes_from_its_shard(facility: Facility) -> None:
    """shard-b sees the slow subscriber but not its publisher: its exporter has no backlog
    for it; the recording rule joins the publisher's counter from shard-a."""
    assert facility.query(f'tango_event_backlog_events{{server="{SLOW}"}}') == []
    [slow] = facility.query(f'{BACKLOG_SERIES}{{server="{SLOW}"}}')
    assert slow["metric"] == {
        "__name__": BACKLOG_SERIES,
        "instance": facility.instances["shard-b"],
        "job": JOB,
        "server": SLOW,
        "tango_host": facility.tango_host,
        "publisher": PUB,
        "publisher_tango_host": facility.tango_host,
        "stream": "lab/source/1/value",
        "event_type": "change",
    }
    assert float(slow["value"][1]) > 5 * RATE_HZ * SLOW_CALLBACK_S
    # the twin, in its publisher's shard: the recorded backlog is the exporter's own
    [twin] = facility.query(f'{BACKLOG_SERIES}{{server="{TWIN}"}}')
    [own] = facility.query(f'tango_event_backlog_events{{server="{TWIN}"}}')
    assert {**twin["metric"], "__name__": "tango_event_backlog_events"} == own["metric"]
    assert twin["value"][1] == own["value"][1]
    assert abs(float(twin["value"][1])) <= 2 * RATE_HZ, "keeps up (up to a poll behind)"


def test_the_backlog_alert_fires_for_the_slow_stream(facility: Facility) -> None:
    [alert] = facility.labels('ALERTS{alertname="TangoEventBacklogGrowing", alertstate="firing"}')
    assert alert == {
        "__name__": "ALERTS",
        "alertname": "TangoEventBacklogGrowing",
        "alertstate": "firing",
        "severity": "warning",
        "instance": facility.instances["shard-b"],
        "job": JOB,
        "server": SLOW,
        "tango_host": facility.tango_host,
        "publisher": PUB,
        "publisher_tango_host": facility.tango_host,
        "stream": "lab/source/1/value",
        "event_type": "change",
    }
    [active] = [
        active
        for active in api(facility.prometheus, "alerts")["alerts"]
        if active["labels"]["alertname"] == "TangoEventBacklogGrowing"
    ]
    summary = active["annotations"]["summary"]
    assert summary.startswith(f"{SLOW} falls behind on lab/source/1/value (change): "), summary
    assert summary.endswith(f" events pushed by {PUB} not yet received"), summary


def test_the_healthy_twin_raises_no_alert(facility: Facility) -> None:
    """Over the whole run, pending or firing: only the slow subscriber, and at the start
    the absence of any monitor (pending: no series before the first scrape)."""
    seconds = int(time.time() - facility.started) + 5
    alerts = facility.labels(f"count_over_time(ALERTS[{seconds}s])")
    raised = {(a["alertname"], a.get("server")) for a in alerts}
    assert raised, "ALERTS has the backlog alert at least"
    assert not {server for _, server in raised} - {SLOW, None}, raised
    assert {name for name, server in raised if server is None} <= {"TangoEventMonitorAbsent"}


# --- the Grafana dashboard against this Prometheus ----------------------------------------------


def dashboard_targets() -> list[tuple[str, str, str]]:
    """(panel title, expression with the variables filled in, legend) of every query."""
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [p for panel in dashboard["panels"] for p in [panel, *panel.get("panels", [])]]
    found = []
    for panel in panels:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            assert "$" not in expr, f"{panel['title']}: a variable left in {expr}"
            found.append((panel["title"], expr, target.get("legendFormat", "")))
    assert len(found) >= 15
    return found


def test_every_dashboard_query_parses_and_returns_data(facility: Facility) -> None:
    for title, expr, legend in dashboard_targets():
        result = facility.query(expr)  # a query that does not parse fails here
        assert result, f"{title}: no data for {expr}"
        for label in re.findall(r"\{\{\s*(\w+)\s*\}\}", legend):
            assert all(label in series["metric"] for series in result), (title, label, result)


def test_the_dashboard_names_only_what_the_exporter_and_the_rules_make(
    facility: Facility,
) -> None:
    """Its metrics are the exporter's or recorded by the package's rules, and its label
    names are on those series here."""
    ours = '{__name__=~"tango_event_.+|.+:tango_event_.+"}'
    names = set(api(facility.prometheus, "label/__name__/values", **{"match[]": ours}))
    records = {
        rule["record"]
        for group in yaml.safe_load(RULES.read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    assert names >= records, "every recording rule has its series here"
    labels = set(api(facility.prometheus, "labels", **{"match[]": ours}))
    for title, expr, _ in dashboard_targets():
        for name in re.findall(r"[a-z_:]*tango_event_[a-z_:]+", expr):
            assert name in names, f"{title}: {name} is not exported nor recorded"
        used = re.findall(r"(\w+)\s*(?:=~|!~|!=|=)\s*\"", expr)
        for clause in re.findall(r"\b(?:by|without)\s*\(([^)]*)\)", expr):
            used += [label.strip() for label in clause.split(",")]
        assert set(used) <= labels, f"{title}: labels {set(used) - labels} in {expr}"


def test_the_server_variable_lists_every_server(facility: Facility) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    [variable] = [v for v in dashboard["templating"]["list"] if v["name"] == "server"]
    match = re.fullmatch(r"label_values\((\w+(?:\{.*\})?), (\w+)\)", variable["query"])
    assert match, variable["query"]
    metric, label = match.groups()
    metric = metric.replace("$tango_host", ".*")  # "All" databases
    values = api(facility.prometheus, f"label/{label}/values", **{"match[]": metric})
    assert set(values) == {PUB, SLOW, TWIN}
