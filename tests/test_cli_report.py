"""--report FILE.html from the command line (the page itself: test_html_report.py)."""

from __future__ import annotations

from pathlib import Path

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
