"""--report FILE.html from the command line (the page itself: test_html_report.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from helpers import run_cli
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.outputs.writer import ReportFileError, ReportWriter
from ska_tango_event_monitor.recording import read_recording


def test_report_is_written_beside_the_unchanged_text(recorded_scan: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    plain = run_cli("--replay", str(recorded_scan))
    with_report = run_cli("--replay", str(recorded_scan), "--report", str(page))

    assert with_report == plain
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg") >= 5 and "dserver/MyServer/top" in html
    assert "saturated" in html and "http://" not in html.replace("http://www.w3.org", "")


def test_unwritable_report_fails_before_anything_is_printed(recorded_scan: Path) -> None:
    status, out, err = run_cli("--replay", str(recorded_scan), "--report", "/nonexistent/r.html")
    assert (status, out) == (6, "")
    assert err.count("\n") == 1 and "cannot write the report" in err


def test_a_folder_in_the_way_of_the_report_fails_before_anything_is_printed(
    recorded_scan: Path, tmp_path: Path
) -> None:
    folder_in_the_way = tmp_path / "report.html"
    folder_in_the_way.mkdir()  # writable folder, but the report's name is taken by a folder
    status, out, err = run_cli("--replay", str(recorded_scan), "--report", str(folder_in_the_way))
    assert (status, out) == (6, "")
    assert err == (
        f"ska-tango-event-monitor: error: cannot write the report {folder_in_the_way}: "
        "Is a directory\n"
    )
    assert sorted(tmp_path.iterdir()) == [folder_in_the_way], "no temporary file left"


def test_a_report_that_cannot_be_written_at_the_end_leaves_no_temporary_file(
    recorded_scan: Path, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    stdout = io.StringIO()
    writer = ReportWriter(stdout, html_path=page)
    session = MonitorSession(Analyser())
    for snapshot in read_recording(recorded_scan):
        writer.write(session.update(snapshot))
    page.mkdir()  # the name taken during the run (as a full disk would fail the write)
    with pytest.raises(ReportFileError) as caught:
        writer.finish()
    assert str(caught.value) == f"cannot write the report {page}: Is a directory"
    assert "Summary" in stdout.getvalue()  # the summary came before the report
    assert sorted(tmp_path.iterdir()) == [page], "no temporary file left"


def test_a_recording_that_cannot_be_written_is_a_recording_error(tmp_path: Path) -> None:
    from datetime import datetime

    from ska_tango_event_monitor.core.session import Snapshot
    from ska_tango_event_monitor.recording import Recorder, RecordingError

    recorder = Recorder(Path("/dev/full"))
    try:
        with pytest.raises(RecordingError, match="cannot write the recording /dev/full"):
            recorder.write(Snapshot(datetime(2026, 1, 1), ()))
    finally:
        recorder.close()
