"""Where snapshot reports go: text or JSON lines on stdout, findings kept for the summary."""

from __future__ import annotations

from typing import TextIO

from ska_tango_event_monitor.export import dumps, summary_to_json
from ska_tango_event_monitor.findings import Severity
from ska_tango_event_monitor.report import SNAPSHOT_SEPARATOR, render_snapshot, render_summary
from ska_tango_event_monitor.session import SnapshotReport
from ska_tango_event_monitor.summary import FindingsLog


class ReportWriter:
    def __init__(self, stdout: TextIO, output_format: str = "text", analysis: bool = True) -> None:
        self._stdout = stdout
        self._json = output_format == "json"
        self._analysis = analysis
        self.findings = FindingsLog()
        self._written = 0

    def write(self, report: SnapshotReport) -> None:
        if report.findings is not None:
            self.findings.add(report.time, report.findings)
        if self._json:
            text = dumps(report)
        else:
            text = (SNAPSHOT_SEPARATOR if self._written else "") + render_snapshot(report)
        self._written += 1
        self._print(text)

    def finish(self) -> None:
        """The summary of findings, once at the end of a run with analysis."""
        if not self._analysis or self.findings.snapshots == 0:
            return
        if self._json:
            self._print(summary_to_json(self.findings))
        else:
            self._print(SNAPSHOT_SEPARATOR + render_summary(self.findings))

    def failed(self, fail_on: Severity | None) -> bool:
        """A finding at or above `fail_on` was raised."""
        worst = self.findings.worst
        return fail_on is not None and worst is not None and worst >= fail_on

    def _print(self, text: str) -> None:
        self._stdout.write(text + "\n")
        self._stdout.flush()
