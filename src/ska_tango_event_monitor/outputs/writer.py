"""Where snapshot reports go: text or JSON lines on stdout, findings kept for the summary."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.graph import EventGraph, event_graph
from ska_tango_event_monitor.core.session import SnapshotReport
from ska_tango_event_monitor.files import (
    OutputFileError,
    cannot_write,
    replace_atomically,
)
from ska_tango_event_monitor.outputs.graph.formats import graph_format
from ska_tango_event_monitor.outputs.html.history import ReportHistory
from ska_tango_event_monitor.outputs.html.report import render_html
from ska_tango_event_monitor.outputs.json_lines import dumps, summary_to_json
from ska_tango_event_monitor.outputs.progress import ProgressBar
from ska_tango_event_monitor.outputs.text import (
    SNAPSHOT_SEPARATOR,
    render_snapshot,
    render_summary,
)


class ReportWriter:
    def __init__(
        self,
        stdout: TextIO,
        output_format: str = "text",
        analysis: bool = True,
        html_path: Path | None = None,
        title: str = "",
        snapshots: bool = True,
        progress_to: TextIO | None = None,
        graph_path: Path | None = None,
    ) -> None:
        """`snapshots`: print each report (not when a full-screen view shows them);
        `progress_to`: the stream for a progress bar while the HTML report is written;
        `graph_path`: `--graph FILE`, the event graph of the last report (DOT or Mermaid)."""
        self._stdout = stdout
        self._snapshots, self._progress_to = snapshots, progress_to
        self._json = output_format == "json"
        self._analysis = analysis
        self.findings = FindingsLog()
        self._written = 0
        self._html_path, self._title = html_path, title
        self._history = ReportHistory() if html_path is not None else None
        self._graph_path = graph_path
        self._last: SnapshotReport | None = None  # the graph's, drawn once at the end

    def write(self, report: SnapshotReport) -> None:
        if report.findings is not None:
            servers = [server.admin for server in report.servers]
            self.findings.add(
                report.time, report.findings, report.unjudged, servers, report.health
            )
        if self._history is not None:
            self._history.add(report)
        self._last = report
        if not self._snapshots:
            return
        if self._json:
            text = dumps(report)
        else:
            text = (SNAPSHOT_SEPARATOR if self._written else "") + render_snapshot(report)
        self._written += 1
        self._print(text)

    def finish(self) -> None:
        """The summary of findings, then the HTML report and the graph (ReportFileError if
        one cannot be written), once at the end of a run."""
        if self._analysis and self.findings.snapshots:
            if self._json:
                self._print(summary_to_json(self.findings))
            else:
                self._print(SNAPSHOT_SEPARATOR + render_summary(self.findings))
        drawn = self._last is not None and (self._history is not None or self._graph_path)
        graph = event_graph(self._last) if drawn and self._last is not None else None
        if self._history is not None and self._html_path is not None:
            write_html(self._html_path, self._render_html(self._history, graph))
        if self._graph_path is not None:
            write_graph(self._graph_path, graph or EventGraph(None, (), ()))

    def _render_html(self, history: ReportHistory, graph: EventGraph | None) -> str:
        if self._progress_to is None:
            return render_html(history, self.findings, self._title, graph=graph)
        with ProgressBar(self._progress_to, "writing the report") as bar:
            return render_html(history, self.findings, self._title, bar.update, graph)

    def failed(self, fail_on: Severity | None) -> bool:
        """A finding at or above `fail_on` was raised."""
        worst = self.findings.worst
        return fail_on is not None and worst is not None and worst >= fail_on

    def _print(self, text: str) -> None:
        self._stdout.write(text + "\n")
        self._stdout.flush()


class ReportFileError(OutputFileError):
    """The HTML report or the graph cannot be written."""


def write_html(path: Path, html: str) -> None:
    """Atomically: a reader never sees half a report."""
    try:
        replace_atomically(path, html.encode("utf-8"))
    except OSError as error:
        raise ReportFileError(cannot_write("report", path, error)) from None


def write_graph(path: Path, graph: EventGraph) -> None:
    """In the format the suffix names (checked on the command line), atomically."""
    try:
        replace_atomically(path, graph_format(path)(graph).encode("utf-8"))
    except OSError as error:
        raise ReportFileError(cannot_write("graph", path, error)) from None
