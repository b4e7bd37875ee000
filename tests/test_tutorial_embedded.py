"""Integration tests of ``ska-tango-event-monitor-tutorial`` on real local processes.

A short scan (20 points at 20 Hz: 1 s on the hw side) with the rogue's 0.3 s per event
(6 s of backlog in the top server) and a 3 s scan timeout shows the tutorial's failure.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ska_tango_event_monitor.local_tango import LocalTangoError, ProcessRecord
from ska_tango_event_monitor.tutorial import embedded

pytestmark = pytest.mark.integration

SHORT = ["--scan-points", "20", "--event-rate", "20", "--rogue-delay", "0.3"]
SHORT += ["--scan-timeout", "3"]
TIMEOUT_ERROR = "RuntimeError: Timeout waiting for Mode.IDLE"
HAS_REAL_MONITOR = importlib.util.find_spec("ska_tango_event_monitor.cli") is not None


def tutorial_command() -> list[str]:
    script = Path(sys.executable).parent / "ska-tango-event-monitor-tutorial"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "ska_tango_event_monitor.tutorial.embedded"]


def cli(*args: object, timeout: float = 60, cwd: Path | None = None, **env: str):
    return subprocess.run(
        [*tutorial_command(), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **env},
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str] | str) -> str:
    err = result if isinstance(result, str) else result.stderr
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ska-tango-event-monitor-tutorial")
    return lines[0]


def recorded(state_dir: Path) -> dict[str, ProcessRecord]:
    data = json.loads((state_dir / "state.json").read_text())
    return {name: ProcessRecord.from_dict(entry) for name, entry in data["processes"].items()}


def processes_under(root: Path) -> list[int]:
    """Live processes whose working directory is under root (servers, db, monitor)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            cwd = Path(os.readlink(proc / "cwd"))
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if state not in ("Z", "X") and cwd.is_relative_to(root):
                pids.append(int(proc.name))
    return pids


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A directory for the state and the processes; whatever still runs there is stopped."""
    try:
        yield tmp_path
    finally:
        state_dir = tmp_path / "state"
        if (state_dir / "state.json").is_file():
            cli("down", "--state-dir", state_dir, timeout=60)
        for pid in processes_under(tmp_path):
            with contextlib.suppress(LocalTangoError):
                ProcessRecord.capture(pid).stop(timeout=5)


def test_up_status_scan_logs_down(workdir: Path) -> None:
    state_dir = workdir / "state"
    started = time.monotonic()
    up = cli("up", *SHORT, "--state-dir", state_dir)
    up_seconds = time.monotonic() - started
    assert up.returncode == 0, up.stderr
    match = re.search(r"^\s*export TANGO_HOST=(127\.0\.0\.1:\d+)$", up.stdout, re.MULTILINE)
    assert match, up.stdout
    tango_host = match.group(1)
    records = recorded(state_dir)
    assert set(records) == {"db", "hw", "top"}
    assert all(record.is_running() for record in records.values())
    assert up_seconds < 20

    status = cli("status", "--state-dir", state_dir)
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"TANGO_HOST={tango_host}" in status.stdout
    for device in ("foo/bar/hw", "foo/bar/top", "foo/bar/rogue"):
        assert re.search(rf"{device}\s+answers", status.stdout), status.stdout

    again = cli("up", "--state-dir", state_dir)
    assert again.returncode == 1
    assert "already running" in one_line_error(again)

    scan = cli("scan", "--state-dir", state_dir)
    assert scan.returncode == 1
    assert TIMEOUT_ERROR in one_line_error(scan)

    hw_log = cli("logs", "hw", "--state-dir", state_dir)
    assert hw_log.returncode == 0
    assert "Ready to accept request" in hw_log.stdout
    assert "Starting scan -- pushing Mode.SCANNING" in hw_log.stdout
    pushed = re.search(r"Scan complete in ([0-9.]+) s -- pushed Mode.IDLE", hw_log.stdout)
    assert pushed, hw_log.stdout
    assert float(pushed.group(1)) < 2.0  # well inside the 3 s the top device waited
    all_logs = cli("logs", "--state-dir", state_dir)
    assert all(f"==> {name}: " in all_logs.stdout for name in ("db", "hw", "top"))

    # a crashed server: status says so, down still stops the rest
    os.kill(records["hw"].pid, 9)
    deadline = time.monotonic() + 10
    while records["hw"].is_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    status = cli("status", "--state-dir", state_dir)
    assert status.returncode == 1
    assert "MyServer/hw is not running" in one_line_error(status)

    down = cli("down", "--state-dir", state_dir)
    assert down.returncode == 0, down.stderr
    assert "MyServer/hw (pid" in down.stdout and "was not running" in down.stdout
    assert "Stopped MyServer/top" in down.stdout
    assert "Stopped Tango database" in down.stdout
    assert not any(record.is_running() for record in records.values())
    assert not (state_dir / "state.json").exists()
    assert processes_under(workdir) == []

    down_again = cli("down", "--state-dir", state_dir)
    assert down_again.returncode == 0
    assert "Nothing to stop" in down_again.stdout


def test_scan_succeeds_without_the_rogue_delay(workdir: Path) -> None:
    state_dir = workdir / "state"
    no_delay = [*SHORT]
    no_delay[no_delay.index("--rogue-delay") + 1] = "0"
    up = cli("up", *no_delay, "--state-dir", state_dir)
    assert up.returncode == 0, up.stderr
    scan = cli("scan", "--state-dir", state_dir)
    assert scan.returncode == 0, scan.stderr
    assert "TopDevice.Scan() succeeded" in scan.stdout
    assert cli("down", "--state-dir", state_dir).returncode == 0
    assert processes_under(workdir) == []


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["up", "--scan-points", "0"], 2),
        (["up", "--event-rate", "fast"], 2),
        (["demo", "--polling-period", "-1"], 2),
        (["logs", "nothing"], 2),
        ([], 2),
        (["status"], 1),
        (["scan"], 1),
        (["logs"], 1),
    ],
)
def test_bad_input_gives_a_one_line_error(
    argv: list[str], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = ["--state-dir", str(tmp_path / "state")] if argv and argv[0] != "demo" else []
    assert embedded.main([*argv, *state]) == code
    one_line_error(capsys.readouterr().err)


def test_state_problems_give_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert embedded.main(["down", "--state-dir", str(tmp_path / "none")]) == 0
    assert "Nothing to stop" in capsys.readouterr().out

    (tmp_path / "state.json").write_text("{not json")
    assert embedded.main(["status", "--state-dir", str(tmp_path)]) == 1
    assert "cannot read" in one_line_error(capsys.readouterr().err)

    a_file = tmp_path / "a-file"
    a_file.write_text("")
    assert embedded.main(["up", "--state-dir", str(a_file)]) == 1
    one_line_error(capsys.readouterr().err)

    assert embedded.main(["--help"]) == 0


STAND_IN_MONITOR = textwrap.dedent(
    """
    import argparse, json, signal, sys, time, tango
    parser = argparse.ArgumentParser()
    parser.add_argument("--monitor", action="store_true")
    parser.add_argument("--polling-period", type=float)
    parser.add_argument("devices", nargs="+")
    args = parser.parse_args()
    stop = []
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    admins = [tango.DeviceProxy(tango.DeviceProxy(d).adm_name()) for d in args.devices]
    for admin in admins:
        admin.command_inout("EnableEventSystemPerfMon", True)
    end = time.monotonic() + 60
    while not stop and time.monotonic() < end:
        for admin in admins:
            report = json.loads(admin.command_inout("QueryEventSystem"))
            print("stand-in snapshot", admin.name(), sorted(report), flush=True)
        time.sleep(args.polling_period)
    for admin in admins:
        admin.command_inout("EnableEventSystemPerfMon", False)
    print("stand-in: perf off", flush=True)
    """
)


def test_demo_with_a_stand_in_monitor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The demo's own logic, whether or not the real monitor is installed."""
    stand_in = tmp_path / "monitor.py"
    stand_in.write_text(STAND_IN_MONITOR)
    monkeypatch.setattr(embedded, "monitor_command", lambda: [sys.executable, str(stand_in)])
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    try:
        code = embedded.main(["demo", *SHORT, "--polling-period", "1"])
        out, err = capfd.readouterr()
        assert code == 0, out + err
        assert "stand-in snapshot dserver/MyServer/top" in out
        assert "stand-in: perf off" in out  # stopped with SIGINT, cleanly
        assert f"TopDevice.Scan() failed: {TIMEOUT_ERROR}" in out
        assert "Scan complete in" in out
        assert "Conclusion: Mode.IDLE was not missing but late" in out
        assert processes_under(tmp_path) == []
    finally:
        for pid in processes_under(tmp_path):
            with contextlib.suppress(LocalTangoError):
                ProcessRecord.capture(pid).stop(timeout=5)


@pytest.mark.skipif(not HAS_REAL_MONITOR, reason="ska_tango_event_monitor.cli is not there yet")
def test_demo_with_the_real_monitor(workdir: Path) -> None:
    started = time.monotonic()
    demo = cli(
        "demo",
        *SHORT,
        "--polling-period",
        "2",
        timeout=90,
        cwd=workdir,
        TMPDIR=str(workdir),
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr
    assert TIMEOUT_ERROR in demo.stdout
    assert "pushed Mode.IDLE" in demo.stdout
    assert "Traceback" not in demo.stderr
    assert time.monotonic() - started < 60
    assert processes_under(workdir) == []
