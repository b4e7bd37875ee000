"""What the live run and the replay share: the environment, the session, the writer, the
exit status of a finished run and the one-line error."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from ska_tango_event_monitor.cli.exit_status import ExitStatus
from ska_tango_event_monitor.cli.findings_options import fail_on, thresholds
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.files import check_writable
from ska_tango_event_monitor.outputs.writer import ReportFileError, ReportWriter

PROG = "ska-tango-event-monitor"
# A poll makes tens of thousands of short-lived objects while the rules' windows hold the
# states of the last polls: with Python's default (a collection every 700 allocations) a
# third of a 1 000-server poll went into scanning those states again (BENCHMARKS.md). The
# same garbage is collected, less often; reference cycles are rare here.
GC_THRESHOLD = (20_000, 10, 10)


def collect_garbage_less_often() -> None:
    gc.set_threshold(*GC_THRESHOLD)


@dataclass
class Environment:
    """What the command talks to, injectable for tests."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)  # --top's keys
    now: Callable[[], datetime] = datetime.now


def session_for(options: argparse.Namespace) -> MonitorSession:
    return MonitorSession(None if options.no_analysis else Analyser(thresholds(options)))


def writer_for(options: argparse.Namespace, env: Environment) -> ReportWriter:
    """Raises ReportFileError when --report cannot be written."""
    if options.report is not None:
        check_writable(options.report, "report", ReportFileError)
    if options.graph is not None:
        check_writable(options.graph, "graph", ReportFileError)
    source = options.replay.name if options.replay else " ".join(options.devices or options.server)
    return ReportWriter(
        env.stdout,
        options.format,
        analysis=not options.no_analysis,
        html_path=options.report,
        title=source or "all servers",
        snapshots=not options.top,  # the full screen shows them
        progress_to=env.stderr,
        graph_path=options.graph,
    )


def final_status(writer: ReportWriter, options: argparse.Namespace, env: Environment) -> int:
    """The summary and the HTML report written; the exit status of a finished run."""
    try:
        writer.finish()
    except ReportFileError as error:
        return fail(env, str(error), ExitStatus.RECORDING_ERROR)
    return ExitStatus.FINDINGS if writer.failed(fail_on(options)) else ExitStatus.OK


def fail(env: Environment, message: str, status: ExitStatus) -> int:
    env.stderr.write(f"{PROG}: error: {message}\n")
    return status
