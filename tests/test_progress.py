"""The progress bar of long `--replay` and `--report` work: on stderr when it is a terminal
(a real pseudo-terminal here), never when stderr is redirected, and the report the same.

The long recording is the 50-server ring recording (tests/data) laid end to end ten times,
each copy later in time, so that reading it lasts well beyond the bar's delay.
"""

from __future__ import annotations

import gzip
import io
import os
import pty
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import DATA
from ska_tango_event_monitor.outputs.progress import DELAY_S, ProgressBar
from ska_tango_event_monitor.recording import read_recording

MONITOR = [sys.executable, "-m", "ska_tango_event_monitor"]
COPIES = 10
BAR = "━"  # rich's bar


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with gzip.open(DATA / "scenario_ring50_slow_node.jsonl.gz", "rt") as source:
        lines = source.readlines()
    path = tmp_path_factory.mktemp("long") / "ring-x10.jsonl.gz"
    first, last = (_time(line) for line in (lines[0], lines[-1]))
    with gzip.open(path, "wt") as recording:
        for copy in range(COPIES):
            shift = (last - first + timedelta(seconds=2)) * copy
            for line in lines:
                recording.write(line.replace(_stamp(line), (_time(line) + shift).isoformat(), 1))
    return path


def _stamp(line: str) -> str:
    return re.search(r'"time":"([^"]+)"', line).group(1)


def _time(line: str) -> datetime:
    return datetime.fromisoformat(_stamp(line))


def run_on_terminal(args: list[str], stdout: Path) -> tuple[int, str]:
    """The monitor with stderr on a pseudo-terminal (stdout to a file): its status, and what
    the terminal received."""
    master, slave = pty.openpty()
    with open(stdout, "wb") as out:
        process = subprocess.Popen([*MONITOR, *args], stdout=out, stderr=slave)
    os.close(slave)
    received = bytearray()
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the monitor closed its end
                break
            if not data:
                break
            received.extend(data)
    finally:
        os.close(master)
        status = process.wait(timeout=120)
    return status, received.decode(errors="replace")


def run_redirected(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MONITOR, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_long_recording_is_long(long_recording: Path) -> None:
    assert sum(1 for _ in read_recording(long_recording)) == 10 * COPIES


@pytest.mark.timeout(300)
def test_a_long_replay_shows_a_bar_on_a_terminal_and_none_when_redirected(
    long_recording: Path, tmp_path: Path
) -> None:
    status, terminal = run_on_terminal(["--replay", str(long_recording)], tmp_path / "out")
    assert status == 0
    assert f"reading {long_recording}" in terminal and BAR in terminal and "%" in terminal
    redirected = run_redirected(["--replay", str(long_recording)])
    assert redirected.returncode == 0
    assert redirected.stderr == ""  # no bar, not a byte of it
    assert (tmp_path / "out").read_text() == redirected.stdout  # the same report


@pytest.mark.timeout(300)
def test_writing_a_long_report_shows_a_bar_on_a_terminal(
    long_recording: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    args = ["--replay", str(long_recording), "--report", str(report), "--count", "60"]
    status, terminal = run_on_terminal(args, tmp_path / "out")
    assert status == 0 and report.stat().st_size > 0
    assert "writing the report" in terminal and BAR in terminal
    redirected = run_redirected([*args[:3], str(tmp_path / "again.html"), *args[4:]])
    assert redirected.returncode == 0 and redirected.stderr == ""


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_appears_only_once_the_work_has_lasted_its_delay() -> None:
    now = [100.0]
    stream = FakeTerminal()
    with ProgressBar(stream, "reading x", clock=lambda: now[0]) as bar:
        now[0] += DELAY_S / 2
        bar.update(10, 100)
        assert stream.getvalue() == "" and not bar.shown  # quick work: nothing drawn
        now[0] += DELAY_S
        bar.update(50, 100)
        assert bar.shown and "reading x" in stream.getvalue() and "50%" in stream.getvalue()
    assert not bar.shown


def test_no_bar_without_a_terminal() -> None:
    now = [0.0]
    for stream in (io.StringIO(), None):
        with ProgressBar(stream, "reading x", clock=lambda: now[0]) as bar:
            now[0] += 10 * DELAY_S
            bar.update(50, 100)
            assert not bar.shown
