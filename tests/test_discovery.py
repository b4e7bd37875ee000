"""--server / --all / --list: servers picked from a real Tango database, followed as they
start and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import SERVERS
from helpers import wait_until
from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)
from ska_tango_event_monitor.recording import RecordingError, read_recording

pytestmark = pytest.mark.integration
MONITOR = [sys.executable, "-m", "ska_tango_event_monitor"]


@pytest.fixture
def database(tmp_path: Path) -> Iterator[LocalTangoDatabase]:
    database = LocalTangoDatabase(log_path=tmp_path / "db.log").start()
    try:
        database.register(
            DeviceRegistration("EventLab/pub", "EventSource", "disc/source/1"),
            DeviceRegistration(
                "EventLab/sink", "EventSink", "disc/sink/1", {"sources": ["disc/source/1"]}
            ),
            DeviceRegistration("Other/1", "EventSource", "disc/other/1"),
        )
        yield database
    finally:
        database.stop()


def server(database: LocalTangoDatabase, instance: str, tmp_path: Path) -> DeviceServerProcess:
    command = [sys.executable, str(SERVERS / "event_lab.py"), instance]
    return DeviceServerProcess(command, database.tango_host, tmp_path / f"{instance}.log")


def admins_recorded(path: Path) -> list[set[str]]:
    try:
        return [{poll.admin for poll in s.polls} for s in read_recording(path)]
    except (RecordingError, FileNotFoundError):
        return []


def test_list_shows_the_running_servers_that_match(
    database: LocalTangoDatabase, tmp_path: Path
) -> None:
    with server(database, "pub", tmp_path) as pub:  # started by the with
        pub.wait_ready([f"tango://{database.tango_host}/disc/source/1"])
        env = {**os.environ, "TANGO_HOST": database.tango_host}
        matching = subprocess.run(
            [*MONITOR, "--server", "eventlab/*", "--list"], capture_output=True, text=True, env=env
        )
        everything = subprocess.run(
            [*MONITOR, "--all", "--list"], capture_output=True, text=True, env=env
        )
    assert (matching.returncode, matching.stdout) == (0, "dserver/EventLab/pub\n")
    # registered but not running servers (EventLab/sink, Other/1) are not listed, nor is
    # the database server with --all
    assert everything.stdout.splitlines() == ["dserver/EventLab/pub"]


def test_servers_are_picked_up_and_dropped_while_running(
    database: LocalTangoDatabase, tmp_path: Path
) -> None:
    recording = tmp_path / "run.jsonl"
    pub, sink = server(database, "pub", tmp_path), server(database, "sink", tmp_path)
    cli = None
    try:
        pub.start().wait_ready([f"tango://{database.tango_host}/disc/source/1"])
        cli = subprocess.Popen(
            [*MONITOR, "--server", "EventLab/*", "--polling-period", "0.5", "-o", str(recording)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TANGO_HOST": database.tango_host},
        )
        wait_until(lambda: len(admins_recorded(recording)) >= 2, what="2 snapshots")
        sink.start().wait_ready([f"tango://{database.tango_host}/disc/sink/1"])
        wait_until(
            lambda: "dserver/EventLab/sink" in admins_recorded(recording)[-1],
            what="the new server in a snapshot",
        )
        sink.stop()  # a clean stop unexports the server
        wait_until(
            lambda: admins_recorded(recording)[-1] == {"dserver/EventLab/pub"},
            what="the stopped server dropped",
        )
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=20)
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
            cli.wait()
        sink.stop()
        pub.stop()
    assert cli.returncode == 0
    assert "dserver/EventLab/sink started: monitoring it" in err
    assert "dserver/EventLab/sink stopped (no longer exported): no longer monitored" in err
    assert "-----dserver/EventLab/sink-----" in out
    assert admins_recorded(recording)[0] == {"dserver/EventLab/pub"}
