"""Every output file (`-o`, `--report`, `--prometheus-textfile`) checked before the first poll
and before perf monitoring is switched on, with one message style; a write that fails at
the end leaves no temporary file. On real servers (the EventLab of conftest)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import tango

from conftest import EventLab
from helpers import run_cli, wait_until
from ska_tango_event_monitor.recording import RecordingError, read_recording

pytestmark = pytest.mark.integration

OUTPUTS = {"-o": "recording", "--report": "report", "--prometheus-textfile": "metrics textfile"}
MONITOR = [sys.executable, "-m", "ska_tango_event_monitor"]


def bad_path(kind: str, tmp_path: Path) -> tuple[Path, str]:
    """A path that cannot be written, and the reason the system gives."""
    if kind == "missing folder":
        return tmp_path / "missing" / "out", "No such file or directory"
    if kind == "parent is a file":
        (tmp_path / "file").write_text("")
        return tmp_path / "file" / "out", "Not a directory"
    if kind == "existing folder":
        (tmp_path / "out").mkdir()
        return tmp_path / "out", "Is a directory"
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    return folder / "out", "Permission denied"


def perf_is_off(admin: str = "dserver/EventLab/pub") -> bool:
    reply = json.loads(tango.DeviceProxy(admin).command_inout("QueryEventSystem"))
    return reply["server"] is not None and reply["server"]["perf"] is None


KINDS = [
    "missing folder",
    "parent is a file",
    "existing folder",
    pytest.param(
        "read-only folder",
        marks=pytest.mark.skipif(os.geteuid() == 0, reason="a read-only folder stops no root"),
    ),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("option", list(OUTPUTS))
def test_an_unwritable_output_fails_before_the_first_poll(
    event_lab: EventLab, tmp_path: Path, option: str, kind: str
) -> None:
    path, reason = bad_path(kind, tmp_path)
    before = sorted(tmp_path.rglob("*"))
    status, out, err = run_cli("--monitor", "--count", "1", option, str(path), "lab/source/1")
    assert (status, out) == (6, "")
    assert (
        err
        == f"ska-tango-event-monitor: error: cannot write the {OUTPUTS[option]} {path}: {reason}\n"
    )
    assert perf_is_off(), "perf monitoring was never switched on"
    assert sorted(tmp_path.rglob("*")) == before, "nothing created, no probe left"


def test_every_output_is_checked_before_any_is_opened(event_lab: EventLab, tmp_path: Path) -> None:
    recording = tmp_path / "run.jsonl"
    (tmp_path / "report.html").mkdir()
    status, _, err = run_cli(
        "--count", "1", "-o", str(recording), "--report", str(tmp_path / "report.html"),
        "lab/source/1",
    )  # fmt: skip
    assert status == 6 and "cannot write the report" in err
    assert not recording.exists(), "the recording was not created (nor an old one truncated)"


def recorded(path: Path) -> int:
    try:
        return len(list(read_recording(path)))
    except (RecordingError, FileNotFoundError):
        return 0


def start_monitor(event_lab: EventLab, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*MONITOR, "--polling-period", "0.3", *args, "lab/source/1", "lab/sink/1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TANGO_HOST": event_lab.tango_host},
    )


def finish(cli: subprocess.Popen[str], interrupt: bool) -> tuple[str, str]:
    try:
        if interrupt:
            cli.send_signal(signal.SIGINT)
        return cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()


def test_a_report_that_cannot_be_written_at_exit_leaves_no_temporary_file(
    event_lab: EventLab, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"  # tmp_path holds the servers' logs
    folder.mkdir()
    report, recording = folder / "report.html", folder / "run.jsonl"
    cli = start_monitor(event_lab, "--monitor", "--report", str(report), "-o", str(recording))
    try:
        wait_until(lambda: recorded(recording) >= 2, what="2 snapshots")
        report.mkdir()  # the name taken during the run, as a full disk would fail the write
    finally:
        out, err = finish(cli, interrupt=True)
    assert cli.returncode == 6
    assert err.splitlines()[-1] == (
        f"ska-tango-event-monitor: error: cannot write the report {report}: Is a directory"
    )
    assert "Summary" in out
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "run.jsonl"]
    assert perf_is_off(), "perf monitoring switched off at exit"


def replace_with_a_folder(path: Path) -> None:
    while True:  # the monitor may write the file again between the two steps
        path.unlink(missing_ok=True)
        try:
            path.mkdir()
            return
        except FileExistsError:
            continue


def test_a_textfile_that_cannot_be_written_any_more_stops_the_run_cleanly(
    event_lab: EventLab, tmp_path: Path
) -> None:
    folder = tmp_path / "outputs"  # tmp_path holds the servers' logs
    folder.mkdir()
    textfile = folder / "events.prom"
    cli = start_monitor(event_lab, "--monitor", "--prometheus-textfile", str(textfile))
    try:
        wait_until(textfile.exists, what="the first textfile")
        replace_with_a_folder(textfile)
        cli.wait(timeout=30)  # the next poll fails: the run stops by itself
    finally:
        _, err = finish(cli, interrupt=False)
    assert cli.returncode == 6
    assert err.splitlines()[-1] == (
        f"ska-tango-event-monitor: error: cannot write the metrics textfile {textfile}: "
        "Is a directory"
    )
    assert [p.name for p in folder.iterdir()] == ["events.prom"], "no temporary file left"
    assert perf_is_off(), "perf monitoring switched off at exit"


def test_a_recording_written_in_place_needs_no_writable_folder(
    event_lab: EventLab, tmp_path: Path
) -> None:
    # like -o /dev/null: the recording is opened, not renamed over, so only the file itself
    # must be writable; nothing is created beside it (the folder is left untouched)
    folder = tmp_path / "outputs"
    folder.mkdir()
    recording = folder / "run.jsonl"
    recording.write_text("")
    before = folder.stat().st_mtime_ns
    status, _, err = run_cli("--count", "1", "-o", str(recording), "lab/source/1")
    assert (status, err) == (0, "")
    assert folder.stat().st_mtime_ns == before, "no probe file created in the folder"
    assert recorded(recording) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="a read-only folder stops no root")
def test_in_a_read_only_folder_a_recording_can_be_written_in_place_but_no_report(
    tmp_path: Path,
) -> None:
    from ska_tango_event_monitor.files import OutputFileError, check_writable

    folder = tmp_path / "read-only"
    folder.mkdir()
    (folder / "out").write_text("")
    folder.chmod(0o555)
    check_writable(folder / "out", "recording", replaced=False)
    with pytest.raises(OutputFileError, match=r"cannot write the report .*: Permission denied"):
        check_writable(folder / "out", "report")
