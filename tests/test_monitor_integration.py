"""The monitor against real device servers on loopback (sqlite database and no database)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import tango

from conftest import EventLab
from helpers import run_cli, wait_until
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.local_tango import DeviceServerProcess
from ska_tango_event_monitor.outputs.text import render_snapshot
from ska_tango_event_monitor.recording import RecordingError, read_recording
from ska_tango_event_monitor.tango.monitor import Monitor
from ska_tango_event_monitor.tango.resolve import DeviceResolver

pytestmark = pytest.mark.integration

LAB_DEVICES = ("lab/source/1", "lab/source/2", "lab/sink/1")
PUB_ADMIN, SINK_ADMIN = "dserver/EventLab/pub", "dserver/EventLab/sink"


def query(admin: str) -> dict:
    return json.loads(tango.DeviceProxy(admin).command_inout("QueryEventSystem"))


def received(sink: str = "lab/sink/1") -> int:
    return tango.DeviceProxy(sink).read_attribute("received").value


def lines_of(text: str) -> list[str]:
    return text.splitlines()


def test_first_snapshot_lists_every_publisher_and_subscription(event_lab: EventLab) -> None:
    status, out, err = run_cli("--count", "1", *LAB_DEVICES)

    assert (status, err) == (0, "")
    headers = [line for line in lines_of(out) if line.startswith("-" * 10)]
    # two devices of one server give one section; one poll judges nothing that needs two
    assert [h.strip("-") for h in headers] == [
        "dserver/EventLab/pub (from lab/source/1, lab/source/2)",
        "dserver/EventLab/sink (from lab/sink/1)",
        "Findings",
    ]
    assert "not judged: backlog, missed events, restart at all 2 servers: one poll so far" in out
    assert all(len(h) == 120 for h in headers)
    assert "- New publishers" in out and "- New subscriptions" in out
    assert "        lab/source/1/value.change: 0 is the last pushed server counter" in out
    assert "        lab/source/1/value.idl5_change: 0 events already processed" in out
    assert re.search(r"^ +: 1 callback\(s\) registered$", out, re.MULTILINE)
    assert "tango://" not in out


def test_pushed_events_show_matching_counters(event_lab: EventLab) -> None:
    servers = DeviceResolver().resolve(LAB_DEVICES)
    monitor, session = Monitor(servers, timeout_s=3), MonitorSession()
    session.update(monitor.poll())
    before = received()

    tango.DeviceProxy("lab/source/1").Push(5)
    tango.DeviceProxy("lab/source/2").Push(2)
    wait_until(lambda: received() == before + 7, what="the sink to process 7 events")
    text = render_snapshot(session.update(monitor.poll()))

    assert "lab/source/1/value.change: 0 -> 5 (+5) last pushed server counter" in text
    assert "lab/source/2/value.change: 0 -> 2 (+2) last pushed server counter" in text
    assert "lab/source/1/value.idl5_change: 0 -> 5 (+5) events processed" in text
    assert re.search(r"^ +: 0 -> 5 \(\+5\) last received server counter$", text, re.MULTILINE)
    publisher = session.last_state(PUB_ADMIN)
    subscriber = session.last_state(SINK_ADMIN)
    for source in ("lab/source/1", "lab/source/2"):
        [pushed] = [p for s, p in publisher.publishers.items() if f"/{source}/" in s]
        [got] = [s for t, s in subscriber.subscriptions.items() if f"/{source}/" in t]
        assert pushed.last_pushed == got.server_counter == got.event_count


def test_removed_subscription_and_frozen_publisher(event_lab: EventLab) -> None:
    servers = DeviceResolver().resolve(LAB_DEVICES)
    monitor, session = Monitor(servers, timeout_s=3), MonitorSession()
    session.update(monitor.poll())

    tango.DeviceProxy("lab/sink/1").command_inout("UnsubscribeAll")
    text = render_snapshot(session.update(monitor.poll()))

    assert "- Removed subscriptions" in text
    assert "lab/source/1/value.idl5_change: 0 events processed" in text
    # the publisher keeps its (now frozen) counters: no removed publisher
    assert "- Removed publishers" not in text


def test_monitor_prints_tables_and_switches_perf_off(event_lab: EventLab) -> None:
    pusher = threading.Timer(0.8, lambda: tango.DeviceProxy("lab/source/1").Push(20))
    pusher.start()
    try:
        status, out, err = run_cli(
            "--monitor", "--count", "2", "--polling-period", "2", *LAB_DEVICES
        )
    finally:
        pusher.join()

    assert (status, err) == (0, "")
    second = out.split("\n\n\n\n")[1]
    assert "- Server performance" in second and "- Client performance" in second
    header = "mean      median  count  minimum  maximum"
    assert header.split() == ["mean", "median", "count", "minimum", "maximum"]
    assert re.search(r"^ +mean +median +count +minimum +maximum +1% +10% +90% +99%$", second, re.M)
    assert re.search(r"^ +Push Time \[(μs|ms)\] +\d+\.\d\d±\d+\.\d\d ", second, re.M)
    # one row for every subscribed stream of that attribute name, and it says how many
    callbacks = query(SINK_ADMIN)["client"]["event_callbacks"]
    values = sum(topic.endswith("/value.idl5_change") for topic in callbacks)
    shared = f" ({values} streams)" if values > 1 else ""
    assert re.search(rf"^ +value Processing Time{re.escape(shared)} \[(μs|ms)\] ", second, re.M)
    assert re.search(r"^ +Event Gaps \[(μs|ms|s)\] .* 20 ", second, re.M) or "Event Gaps" in second
    for admin in (PUB_ADMIN, SINK_ADMIN):
        reply = query(admin)
        assert [reply[side]["perf"] for side in ("server", "client") if reply[side]] in (
            [None],
            [None, None],
        )


def recorded_snapshots(path: Path) -> int:
    try:
        return len(list(read_recording(path)))
    except (RecordingError, FileNotFoundError):
        return 0  # not written yet


def _cli_process(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ska_tango_event_monitor", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        cwd=tmp_path,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_switches_perf_off_and_keeps_the_recording(
    event_lab: EventLab, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    recording = tmp_path / "events.jsonl.gz"
    cli = _cli_process(
        tmp_path, "--monitor", "-o", str(recording), "--polling-period", "0.5", *LAB_DEVICES
    )
    try:
        wait_until(lambda: recorded_snapshots(recording) >= 3, what="3 recorded snapshots")
        assert query(PUB_ADMIN)["server"]["perf"] is not None  # switched on by the monitor
        cli.send_signal(stop_signal)
        out, err = cli.communicate(timeout=20)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()

    assert (cli.returncode, err) == (0, "")
    assert "Traceback" not in out
    assert query(PUB_ADMIN)["server"]["perf"] is None
    assert query(SINK_ADMIN)["client"]["perf"] is None
    snapshots = list(read_recording(recording))
    assert len(snapshots) >= 3
    assert {poll.admin for snapshot in snapshots for poll in snapshot.polls} == {
        PUB_ADMIN,
        SINK_ADMIN,
    }
    assert all(poll.reply["version"] == 1 for s in snapshots for poll in s.polls)


def test_killed_server_is_reported_and_the_others_still_are(event_lab: EventLab) -> None:
    servers = DeviceResolver().resolve(LAB_DEVICES)
    monitor, session = Monitor(servers, timeout_s=2), MonitorSession()
    session.update(monitor.poll())

    event_lab.publisher.kill()
    report = session.update(monitor.poll())

    pub, sink = report.servers
    assert pub.error is not None and "API_" in pub.error
    assert sink.error is None and sink.diff is not None
    text = render_snapshot(report)
    assert re.search(r"^- Error: .*API_", text, re.MULTILINE)

    restarted = DeviceServerProcess(
        event_lab.publisher.command, event_lab.tango_host, event_lab.publisher.log_path
    )
    try:
        restarted.start().wait_ready(["lab/source/1", "lab/source/2"], timeout=30)
        wait_until(lambda: session.update(monitor.poll()).servers[0].error is None, timeout=20)
    finally:
        restarted.stop()


def test_hung_server_does_not_delay_the_others(event_lab: EventLab) -> None:
    servers = DeviceResolver().resolve(LAB_DEVICES)
    monitor = Monitor(servers, timeout_s=1)
    monitor.poll()
    event_lab.publisher.pause()
    try:
        started = time.monotonic()
        snapshot = monitor.poll()
        took = time.monotonic() - started
        pub, sink = snapshot.polls
        assert pub.error is not None and sink.reply is not None
        assert took < 3, f"a round with a frozen server took {took:.1f} s"
        # the frozen call is still pending: the next round does not queue another one
        assert "pending" in (monitor.poll().polls[0].error or "")
    finally:
        event_lab.publisher.resume()


def test_no_database_servers(no_database_pair: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TANGO_HOST", raising=False)
    source, sink = no_database_pair
    tango.DeviceProxy(source).Push(3)
    wait_until(lambda: received(sink) == 4, what="3 events and the subscription's first read")

    status, out, err = run_cli("--count", "1", source, sink)

    assert (status, err) == (0, "")
    assert "---dserver/EventLab/nodbpub (from nodb/source/1)---" in out
    assert "---dserver/EventLab/nodbsink (from nodb/sink/1)---" in out
    assert "nodb/source/1/value.change: 3 is the last pushed server counter" in out
    assert "nodb/source/1/value.idl5_change: 3 events already processed" in out
    assert "#dbase=no" not in out and "tango://" not in out
