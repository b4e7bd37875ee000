"""Faults on real processes: servers killed, restarted, hung; the database gone; the monitor
killed while recording; recordings that cannot be read."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tango

from conftest import SERVERS, EventLab
from helpers import run_cli, wait_until
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)
from ska_tango_event_monitor.outputs.text import render_snapshot
from ska_tango_event_monitor.recording import RecordingError, read_recording
from ska_tango_event_monitor.tango.monitor import Monitor
from ska_tango_event_monitor.tango.resolve import DeviceResolver

LAB_DEVICES = ("lab/source/1", "lab/source/2", "lab/sink/1")
MONITOR = [sys.executable, "-m", "ska_tango_event_monitor"]


def received(sink: str = "lab/sink/1") -> int:
    return tango.DeviceProxy(sink).read_attribute("received").value


def recorded(path: Path) -> int:
    try:
        return len(list(read_recording(path)))
    except (RecordingError, FileNotFoundError):
        return 0


def publishing(monitor: Monitor) -> bool:
    """The publisher answers and has a subscriber again."""
    reply = monitor.poll().polls[0].reply
    return bool(reply and reply["server"] and reply["server"]["event_counters"])


@pytest.mark.integration
def test_restarted_publisher_is_monitored_again_and_its_reset_reported(
    event_lab: EventLab,
) -> None:
    monitor = Monitor(DeviceResolver().resolve(LAB_DEVICES), timeout_s=2)
    session = MonitorSession()
    start = received()
    tango.DeviceProxy("lab/source/1").Push(5)
    wait_until(lambda: received() == start + 5, what="5 events at the sink")
    session.update(monitor.poll())

    event_lab.publisher.kill()
    down = session.update(monitor.poll())
    assert down.servers[0].error and down.servers[1].error is None

    restarted = DeviceServerProcess(
        event_lab.publisher.command, event_lab.tango_host, event_lab.publisher.log_path
    )
    try:
        restarted.start().wait_ready(["lab/source/1", "lab/source/2"], timeout=30)
        # the sink re-subscribes at its keep-alive tick (about every 10 s)
        wait_until(lambda: publishing(monitor), timeout=40, what="the sink to subscribe again")
        before = received()
        tango.DeviceProxy("lab/source/1").Push(1)
        wait_until(lambda: received() == before + 1, what="the first event after the restart")
        text = render_snapshot(session.update(monitor.poll()))
    finally:
        restarted.stop()
    assert "- Answering again after" in text
    assert "5 -> 1 (reset: the publisher restarted) last received server counter" in text


@pytest.mark.integration
def test_hung_server_recovers_when_resumed(event_lab: EventLab) -> None:
    monitor = Monitor(DeviceResolver().resolve(LAB_DEVICES), timeout_s=1)
    event_lab.publisher.pause()
    try:
        assert monitor.poll().polls[0].error is not None
    finally:
        event_lab.publisher.resume()
    wait_until(lambda: monitor.poll().polls[0].reply is not None, what="the resumed server")


@pytest.fixture
def own_database(tmp_path: Path) -> Iterator[tuple[LocalTangoDatabase, DeviceServerProcess]]:
    """A database of its own (this test stops it) with one EventLab publisher server."""
    database = LocalTangoDatabase(log_path=tmp_path / "db.log").start()
    server = DeviceServerProcess(
        [sys.executable, str(SERVERS / "event_lab.py"), "pub"],
        database.tango_host,
        tmp_path / "pub.log",
    )
    try:
        database.register(DeviceRegistration("EventLab/pub", "EventSource", "own/source/1"))
        server.start().wait_ready([f"tango://{database.tango_host}/own/source/1"], timeout=30)
        yield database, server
    finally:
        server.stop()
        database.stop()


def _monitor_process(tango_host: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MONITOR, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TANGO_HOST": tango_host},
    )


@pytest.mark.integration
def test_database_down_during_a_run_does_not_stop_the_polling(
    own_database: tuple[LocalTangoDatabase, DeviceServerProcess], tmp_path: Path
) -> None:
    database, _ = own_database
    recording = tmp_path / "run.jsonl"
    cli = _monitor_process(
        database.tango_host, "--polling-period", "0.5", "-o", str(recording), "own/source/1"
    )
    try:
        wait_until(lambda: recorded(recording) >= 2, what="2 snapshots")
        database.stop()
        seen = recorded(recording)
        wait_until(lambda: recorded(recording) >= seen + 3, what="3 snapshots without database")
        cli.send_signal(signal.SIGINT)
        _, err = cli.communicate(timeout=20)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 0, err
    polls = [s.polls[0] for s in read_recording(recording)]
    assert all(poll.reply is not None for poll in polls), [p.error for p in polls]


@pytest.mark.integration
def test_killed_while_recording_keeps_every_complete_line(
    own_database: tuple[LocalTangoDatabase, DeviceServerProcess], tmp_path: Path
) -> None:
    database, _ = own_database
    recording = tmp_path / "run.jsonl.gz"
    cli = _monitor_process(
        database.tango_host, "--polling-period", "0.3", "-o", str(recording), "own/source/1"
    )
    try:
        wait_until(lambda: recorded(recording) >= 3, what="3 snapshots")
    finally:
        cli.kill()
        cli.communicate(timeout=20)
    snapshots = list(read_recording(recording))
    assert len(snapshots) >= 3
    status, out, err = run_cli("--replay", str(recording), "--no-analysis")
    assert (status, err) == (0, "")
    assert out.count("dserver/EventLab/pub (from own/source/1)") == len(snapshots)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", "", "empty recording"),
        ("corrupt.jsonl", '{"recording": 1, "time": "x"\nnot json\n{}\n', ":1: not a recorded"),
        ("future.jsonl", json.dumps({"recording": 99, "time": "", "servers": []}) + "\n", "99"),
    ],
)
def test_unreadable_recordings_are_one_line_errors(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    status, _, err = run_cli("--replay", str(_write(tmp_path / name, content)))
    assert status == 6
    assert err.count("\n") == 1 and err.startswith("ska-tango-event-monitor: error:")
    assert message in err and "Traceback" not in err


def test_not_a_gzip_recording_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.jsonl.gz"
    path.write_bytes(b"this is not gzip data\n")
    status, _, err = run_cli("--replay", str(path))
    assert status == 6 and err.count("\n") == 1


def test_missing_recording_is_a_one_line_error(tmp_path: Path) -> None:
    status, _, err = run_cli("--replay", str(tmp_path / "nowhere.jsonl"))
    assert status == 6 and err.count("\n") == 1 and "nowhere.jsonl" in err


def test_gzip_recording_written_by_another_tool_is_read(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl.gz"
    line = {"recording": 1, "time": "2026-01-01T00:00:00", "servers": []}
    with gzip.open(path, "wt") as file:
        file.write(json.dumps(line) + "\n")
    status, out, _ = run_cli("--replay", str(path), "--no-analysis")
    assert status == 0 and "2026-01-01T00:00:00.000000" in out


@pytest.mark.integration
def test_monitor_switches_perf_on_again_after_a_restart(
    own_database: tuple[LocalTangoDatabase, DeviceServerProcess], tmp_path: Path
) -> None:
    database, server = own_database
    admin = f"tango://{database.tango_host}/dserver/EventLab/pub"

    def perf_on() -> bool:
        try:
            reply = json.loads(tango.DeviceProxy(admin).command_inout("QueryEventSystem"))
        except tango.DevFailed:
            return False
        return reply["server"] is not None and reply["server"]["perf"] is not None

    cli = _monitor_process(
        database.tango_host, "--monitor", "--polling-period", "0.5", "own/source/1"
    )
    restarted = None
    try:
        wait_until(perf_on, what="perf monitoring switched on")
        server.kill()
        restarted = DeviceServerProcess(server.command, database.tango_host, server.log_path)
        restarted.start().wait_ready([f"tango://{database.tango_host}/own/source/1"])
        wait_until(perf_on, what="perf monitoring switched on again on the restarted server")
        cli.send_signal(signal.SIGINT)
        cli.communicate(timeout=20)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    try:
        assert cli.returncode == 0
        assert not perf_on()  # and off again at exit
    finally:
        if restarted is not None:
            restarted.stop()
