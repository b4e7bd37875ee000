"""Integration tests of local_tango: a real sqlite Tango database and real device servers."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tango

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
    LocalTangoError,
    ProcessFailedError,
    ProcessRecord,
    free_port,
)

pytestmark = pytest.mark.integration

SERVER = [sys.executable, "-m", "ska_tango_event_monitor.tutorial.my_server"]


def proc_state(pid: int) -> str | None:
    """The /proc state letter of pid (None if gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def gone(pid: int) -> bool:
    return proc_state(pid) in (None, "Z", "X")


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def database(tmp_path: Path) -> Iterator[LocalTangoDatabase]:
    db = LocalTangoDatabase(log_path=tmp_path / "db.log")
    try:
        db.start()
        yield db
    finally:
        db.stop()


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A harmless child process to record, check and stop."""
    popen = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield popen
    finally:
        if popen.poll() is None:
            popen.kill()
        popen.wait()


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_database_starts_answers_and_stops() -> None:
    db = LocalTangoDatabase()
    with db:
        assert db.alive
        assert db.tango_host == f"127.0.0.1:{db.port}"
        pid = db.pid
        assert pid is not None and not gone(pid)
        assert "sys/database/2" in tango.Database("127.0.0.1", db.port).get_device_exported("*")
        log = db.log_path
        assert log.is_file()
    assert not db.alive
    assert gone(pid)
    assert not log.parent.exists()  # the temporary log directory is removed


def test_database_file_keeps_registrations(tmp_path: Path) -> None:
    registration = DeviceRegistration(
        "MyServer/hw", "HwDevice", "foo/bar/hw", {"scan_points": "7", "event_rate_hz": ["20"]}
    )
    with LocalTangoDatabase(tmp_path / "tango.db", log_path=tmp_path / "db1.log") as db:
        db.register(registration)
    assert (tmp_path / "tango.db").is_file()
    with LocalTangoDatabase(tmp_path / "tango.db", log_path=tmp_path / "db2.log") as db:
        client = db.database()
        assert client.get_device_info("foo/bar/hw").class_name == "HwDevice"
        props = client.get_device_property("foo/bar/hw", ["scan_points", "event_rate_hz"])
        assert list(props["scan_points"]) == ["7"]
        assert list(props["event_rate_hz"]) == ["20"]


def test_database_on_a_taken_port_fails_with_its_log(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # bound, not listening: clients are refused at once
        port = taken.getsockname()[1]
        db = LocalTangoDatabase(port=port, log_path=tmp_path / "db.log", startup_timeout=20)
        started = time.monotonic()
        with pytest.raises(ProcessFailedError) as failure:
            db.start()
        assert time.monotonic() - started < 15
    assert "in use" in str(failure.value).lower()
    assert "\n" not in failure.value.summary
    assert not db.alive


def test_server_register_start_pause_resume_stop(
    database: LocalTangoDatabase, tmp_path: Path
) -> None:
    database.register(
        DeviceRegistration(
            "MyServer/hw", "HwDevice", "foo/bar/hw", {"scan_points": "5", "event_rate_hz": "20"}
        )
    )
    log = tmp_path / "hw.log"
    with DeviceServerProcess([*SERVER, "hw"], database.tango_host, log) as server:
        assert "-ORBendPoint" in server.command
        server.wait_ready(["foo/bar/hw"], timeout=30)
        pid = server.pid
        assert pid is not None and server.alive
        hw = tango.DeviceProxy(f"tango://{database.tango_host}/foo/bar/hw")
        hw.Scan()  # 5 points at 20 Hz: the properties were applied
        assert wait_for(lambda: "Scan complete" in log.read_text(), 10), log.read_text()
        match = re.search(r"Scan complete in ([0-9.]+) s", log.read_text())
        assert match and 0.2 <= float(match.group(1)) < 3  # not the default 128 points at 10 Hz

        server.pause()
        assert server.paused
        assert wait_for(lambda: proc_state(pid) == "T", 5)
        server.resume()
        assert not server.paused
        assert wait_for(lambda: proc_state(pid) != "T", 5)
        assert hw.ping() > 0

        server.pause()  # stop() must also end a paused server
        assert server.stop(timeout=5) is not None
        assert not server.alive
        assert gone(pid)
    assert "Ready to accept request" in log.read_text()


def test_wait_ready_fails_fast_when_the_server_exits(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('boom: no such device'); sys.exit(3)"]
    server = DeviceServerProcess(command, None, tmp_path / "x.log", name="broken")
    with server:
        started = time.monotonic()
        with pytest.raises(ProcessFailedError) as failure:
            server.wait_ready(["tango://127.0.0.1:1/a/b/c#dbase=no"], timeout=30)
        assert time.monotonic() - started < 5
    assert "broken exited with status 3" in failure.value.summary
    assert "boom: no such device" in failure.value.summary
    assert failure.value.log_path == tmp_path / "x.log"


def test_process_record_refuses_a_pid_that_is_not_ours(
    sleeper: subprocess.Popen[bytes],
) -> None:
    record = ProcessRecord.capture(sleeper.pid)
    assert record.is_running()
    assert ProcessRecord.from_dict(record.to_dict()) == record

    other_start = ProcessRecord(sleeper.pid, "1", record.cmdline)
    other_command = ProcessRecord(sleeper.pid, record.start_time, ("/bin/sh", "-c", "x"))
    for impostor in (other_start, other_command):
        assert not impostor.is_running()
        assert impostor.stop(timeout=1) is False
    assert sleeper.poll() is None  # never signalled

    assert record.stop(timeout=5) is True
    sleeper.wait(5)  # (stop() reaped its own child already)
    assert gone(sleeper.pid)
    assert not record.is_running()
    assert record.stop() is False  # already gone: nothing to do


def test_process_record_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        ProcessRecord.from_dict({"pid": "12", "start_time": "1", "cmdline": []})
    with pytest.raises(ValueError):
        ProcessRecord.from_dict({"pid": 12})
    with pytest.raises(LocalTangoError):
        ProcessRecord.capture(2**22 + 12345)  # above pid_max


def test_detached_server_is_stopped_by_its_record(tmp_path: Path) -> None:
    server = DeviceServerProcess(
        [sys.executable, "-c", "import time; time.sleep(60)"], None, tmp_path / "d.log"
    )
    server.start()
    pid = server.pid
    assert pid is not None
    try:
        record = server.detach()
        assert server.pid is None and server.stop() is None  # no longer ours to stop
        assert record.pid == pid and record.is_running()
        assert record.stop(timeout=5) is True
        assert gone(pid)
    finally:
        if not gone(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_database_retries_when_its_free_port_was_taken_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ska_tango_event_monitor.local_tango import ports as local_ports

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        ports = iter([taken.getsockname()[1]])
        real_free_port = local_ports.free_port
        monkeypatch.setattr(
            local_ports, "free_port", lambda host: next(ports, None) or real_free_port(host)
        )
        with LocalTangoDatabase(log_path=tmp_path / "db.log") as db:
            assert db.port != taken.getsockname()[1]
            assert db.database().get_info()
    assert "in use" in (tmp_path / "db.log").read_text().lower()
