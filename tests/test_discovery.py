"""--server / --all / --list: servers picked from a real Tango database, followed as they
start and stop."""

from __future__ import annotations

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


def monitor(database: LocalTangoDatabase, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TANGO_HOST": database.tango_host}
    return subprocess.run([*MONITOR, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(
    "args",
    [
        ["--server", "EventLab/pbu", "--count", "1"],  # a typo
        ["--server", "EventLab/pbu", "--list"],
        ["--server", "EventLab/pbu", "--count", "1", "--fail-on", "warning"],
    ],
)
def test_a_selection_matching_no_running_server_is_an_error(
    database: LocalTangoDatabase, tmp_path: Path, args: list[str]
) -> None:
    with server(database, "pub", tmp_path) as pub:
        pub.wait_ready([f"tango://{database.tango_host}/disc/source/1"])
        result = monitor(database, *args)
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr == (
        "ska-tango-event-monitor: error: no running device server matches 'EventLab/pbu' in "
        f"the Tango database at {database.tango_host}; the 2 running: DataBaseds/2, "
        "EventLab/pub\n"
    )


def test_all_with_only_the_database_server_is_an_error(database: LocalTangoDatabase) -> None:
    result = monitor(database, "--all", "--list")
    assert (result.returncode, result.stdout) == (4, "")
    assert result.stderr == (
        "ska-tango-event-monitor: error: --all: no device server runs in the Tango database "
        f"at {database.tango_host} but the database server (DataBaseds/2)\n"
    )


@pytest.mark.parametrize(
    "pattern", ["dserver/EventLab/*", "DSERVER/eventlab/PUB", "EventLab", "eventlab", "Event*"]
)
def test_admin_device_prefix_and_bare_executable_are_accepted(
    database: LocalTangoDatabase, tmp_path: Path, pattern: str
) -> None:
    with server(database, "pub", tmp_path) as pub:
        pub.wait_ready([f"tango://{database.tango_host}/disc/source/1"])
        result = monitor(database, "--server", pattern, "--list")
    assert (result.returncode, result.stdout, result.stderr) == (0, "dserver/EventLab/pub\n", "")


def export_without_process(database: LocalTangoDatabase, servers: list[str]) -> None:
    """Servers the database believes are running (as after a crash): exported, no process."""
    client = database.database()
    for number, name in enumerate(servers):
        database.register(DeviceRegistration(name, "Fake", f"fake/device/{number}"))
        info = tango.DbDevExportInfo()
        info.name, info.ior, info.host, info.version, info.pid = (
            f"dserver/{name}",
            "IOR:none",
            "127.0.0.1",
            "6",
            0,
        )
        client.export_device(info)


def test_a_long_list_of_running_servers_is_cut(database: LocalTangoDatabase) -> None:
    export_without_process(database, [f"Csp{number:02d}/1" for number in range(30)])
    result = monitor(database, "--server", "CspSubaray/*", "--list")
    assert (result.returncode, result.stdout) == (4, "")
    listed = ", ".join(f"Csp{number:02d}/1" for number in range(20))  # sorted: DataBaseds later
    assert result.stderr == (
        "ska-tango-event-monitor: error: no running device server matches 'CspSubaray/*' in "
        f"the Tango database at {database.tango_host}; the 31 running: {listed} and 11 more\n"
    )


def test_a_selection_that_empties_waits_without_printing_empty_snapshots(
    database: LocalTangoDatabase, tmp_path: Path
) -> None:
    recording, textfile = tmp_path / "run.jsonl", tmp_path / "metrics.prom"
    pub = server(database, "pub", tmp_path)
    ready = [f"tango://{database.tango_host}/disc/source/1"]
    cli = None
    try:
        pub.start().wait_ready(ready)
        cli = subprocess.Popen(
            [*MONITOR, "--server", "EventLab/*", "--polling-period", "0.3", "-o", str(recording)]
            + ["--prometheus-textfile", str(textfile)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TANGO_HOST": database.tango_host},
        )
        wait_until(lambda: len(admins_recorded(recording)) >= 2, what="2 snapshots")
        pub.stop()
        wait_until(lambda: "dserver/EventLab/pub" not in metrics(textfile), what="pub dropped")
        stopped_at = len(admins_recorded(recording))
        time.sleep(2)  # several rounds with nothing to poll
        assert len(admins_recorded(recording)) == stopped_at, "nothing recorded while waiting"
        pub = server(database, "pub", tmp_path)  # a new process
        pub.start().wait_ready(ready)
        wait_until(lambda: len(admins_recorded(recording)) > stopped_at, what="pub back")
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=20)
    finally:
        if cli is not None and cli.poll() is None:
            cli.kill()
            cli.wait()
        pub.stop()
    assert cli.returncode == 0
    assert err.splitlines() == [
        "warning: dserver/EventLab/pub stopped (no longer exported): no longer monitored",
        "warning: no server matches 'EventLab/*' any more; waiting for one to start",
        "warning: dserver/EventLab/pub started: monitoring it",
    ]
    snapshots = admins_recorded(recording)
    assert all(admins == {"dserver/EventLab/pub"} for admins in snapshots)
    banners = re.findall(r"^=+\d{4}-\d\d-\d\dT[\d:.]+=+$", out, re.MULTILINE)
    assert len(banners) == 2 * len(snapshots) == 2 * out.count("-dserver/EventLab/pub-")


def metrics(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return "dserver/EventLab/pub"  # not written yet: as if the server were still there
