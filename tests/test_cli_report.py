"""--report FILE.html from the command line (the page itself: test_html_report.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli


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


def test_a_report_that_cannot_be_written_at_the_end_is_a_one_line_error(
    recorded_scan: Path, tmp_path: Path
) -> None:
    folder_in_the_way = tmp_path / "report.html"
    folder_in_the_way.mkdir()  # writable folder, but the report's name is taken by a folder
    status, out, err = run_cli("--replay", str(recorded_scan), "--report", str(folder_in_the_way))
    assert status == 6
    assert err.count("\n") == 1 and "cannot write the report" in err
    assert "Summary" in out  # the summary came before the report


def test_a_recording_that_cannot_be_written_is_a_recording_error(tmp_path: Path) -> None:
    from datetime import datetime

    from ska_tango_event_monitor.recording import Recorder, RecordingError
    from ska_tango_event_monitor.session import Snapshot

    recorder = Recorder(Path("/dev/full"))
    try:
        with pytest.raises(RecordingError, match="cannot write the recording /dev/full"):
            recorder.write(Snapshot(datetime(2026, 1, 1), ()))
    finally:
        recorder.close()
