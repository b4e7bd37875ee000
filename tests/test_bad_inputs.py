"""Bad inputs to the real command, run as a subprocess: one line on stderr and an exit code.

Each case runs `python -m ska_tango_event_monitor` in its own process, so that it can point
TANGO_HOST wherever it likes (cppTango keeps the first database a process connects to).

Measured here (pytango 10.3.1, loopback), wall time per subprocess, which is mostly the
interpreter and pytango start-up: unknown device 0.25 s, unknown admin device 0.26 s,
malformed name 0.27 s, TANGO_HOST unset 0.27-0.36 s, TANGO_HOST at a free port where nothing
listens 0.35-0.37 s (the refused connection fails at once: TRANSIENT_ConnectFailed, no retry
delay), tango://127.0.0.1:FREE_PORT/foo/bar/hw 0.28-0.31 s, unwritable -o 0.28 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ska_tango_event_monitor.cli.exit_status import ExitStatus
from ska_tango_event_monitor.local_tango import free_port

pytestmark = pytest.mark.integration

PREFIX = "ska-tango-event-monitor: error:"
SUBPROCESS_TIMEOUT_S = 60


def run_command(
    args: list[str], tmp_path: Path, tango_host: str | None
) -> tuple[int, str, str, float]:
    """Run the console command; returns (exit status, stdout, stderr, seconds taken)."""
    env = dict(os.environ)
    env["HOME"] = str(tmp_path)  # no ~/.tangorc with another TANGO_HOST
    env.pop("TANGO_HOST", None)
    if tango_host is not None:
        env["TANGO_HOST"] = tango_host
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "ska_tango_event_monitor", "--count", "1", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=SUBPROCESS_TIMEOUT_S,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr, time.monotonic() - started


def assert_one_error_line(stdout: str, stderr: str, *expected: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(PREFIX), stderr
    assert "Traceback" not in stderr + stdout
    assert stdout == ""
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ("nosuch/dev/ice", ["unknown device nosuch/dev/ice"]),
        ("dserver/NoSuch/1", ["unknown admin device dserver/NoSuch/1"]),
        ("foo/bar", ["malformed device name 'foo/bar'"]),
        ("mot01", ["unknown device alias mot01: not defined in the Tango database at 127.0.0.1:"]),
    ],
)
def test_unknown_or_malformed_device(
    lab_database, tmp_path: Path, device: str, expected: list[str]
) -> None:
    status, out, err, _ = run_command([device], tmp_path, lab_database.tango_host)
    assert status == ExitStatus.UNKNOWN_DEVICE == 4
    assert_one_error_line(out, err, *expected)


def test_unknown_alias_on_an_explicit_database(lab_database, tmp_path: Path) -> None:
    host = lab_database.tango_host.replace("127.0.0.1", "localhost")
    status, out, err, _ = run_command([f"tango://{host}/Door_demo"], tmp_path, None)
    assert status == ExitStatus.UNKNOWN_DEVICE
    assert_one_error_line(
        out, err, f"unknown device alias Door_demo: not defined in the Tango database at {host}"
    )


def test_unknown_device_among_known_ones(lab_database, tmp_path: Path) -> None:
    status, out, err, _ = run_command(
        ["lab/source/1", "nosuch/dev/ice"], tmp_path, lab_database.tango_host
    )
    assert status == ExitStatus.UNKNOWN_DEVICE
    assert_one_error_line(out, err, "nosuch/dev/ice")


def test_tango_host_unset(tmp_path: Path) -> None:
    status, out, err, _ = run_command(["foo/bar/hw"], tmp_path, None)
    assert status == ExitStatus.TANGO_SETUP == 3
    assert_one_error_line(out, err, "TANGO_HOST is not set")


def test_tango_host_where_nothing_listens(tmp_path: Path) -> None:
    port = free_port()
    status, out, err, took = run_command(["foo/bar/hw"], tmp_path, f"127.0.0.1:{port}")
    assert status == ExitStatus.TANGO_SETUP
    assert_one_error_line(out, err, f"127.0.0.1:{port}")
    assert took < SUBPROCESS_TIMEOUT_S


def test_full_name_on_a_host_without_a_database(lab_database, tmp_path: Path) -> None:
    port = free_port()
    status, out, err, _ = run_command(
        [f"tango://127.0.0.1:{port}/foo/bar/hw"], tmp_path, lab_database.tango_host
    )
    assert status == ExitStatus.TANGO_SETUP
    assert_one_error_line(out, err, f"127.0.0.1:{port}")


def test_unwritable_output(lab_database, tmp_path: Path) -> None:
    # resolving lab/source/1 only reads the database: its server need not run
    status, out, err, _ = run_command(
        ["-o", "/nonexistent-dir/x.jsonl", "lab/source/1"], tmp_path, lab_database.tango_host
    )
    assert status == ExitStatus.RECORDING_ERROR == 6
    assert_one_error_line(out, err, "/nonexistent-dir/x.jsonl")
    assert not Path("/nonexistent-dir").exists()


@pytest.mark.parametrize(
    "source",
    [["lab/source/1", "lab/sink/1"], ["--all"], ["--replay", "RECORDING"]],
    ids=["devices", "all", "replay"],
)
def test_top_without_a_terminal_is_refused(
    lab_database, tmp_path: Path, source: list[str]
) -> None:
    """stdout is a pipe here: nothing to draw a screen on. Refused before any server is
    resolved or perf monitoring switched on (the servers need not run)."""
    recording = str(Path(__file__).parent / "data" / "slow_callback_scan.jsonl")
    args = ["--top", "--monitor", *(recording if a == "RECORDING" else a for a in source)]
    status, out, err, _ = run_command(args, tmp_path, lab_database.tango_host)
    assert status == ExitStatus.USAGE == 2
    line = assert_one_error_line(out, err, "--top needs a terminal")
    assert "leave out --top" in line


@pytest.mark.parametrize("other", [["--format", "json"], ["--list"]])
def test_top_with_an_output_of_its_own_is_refused(tmp_path: Path, other: list[str]) -> None:
    status, out, err, _ = run_command(["--top", *other, "foo/bar/hw"], tmp_path, None)
    assert status == ExitStatus.USAGE
    assert_one_error_line(out, err, "--top shows the snapshots itself")
