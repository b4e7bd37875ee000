"""`--replay FILE`: the same report, findings and summary from a recording; with `--top`,
its snapshots on the full screen, stepped through with the keys."""

from __future__ import annotations

import argparse
import contextlib
from typing import TextIO

from ska_tango_event_monitor.cli.common import (
    Environment,
    fail,
    final_status,
    session_for,
    writer_for,
)
from ska_tango_event_monitor.cli.exit_status import ExitStatus
from ska_tango_event_monitor.core.session import SnapshotReport
from ska_tango_event_monitor.outputs.progress import ProgressBar
from ska_tango_event_monitor.outputs.top.screen import TopScreen
from ska_tango_event_monitor.outputs.writer import ReportFileError
from ska_tango_event_monitor.recording import RecordingError, read_recording


def replay(options: argparse.Namespace, env: Environment) -> int:
    reports: list[SnapshotReport] = []  # kept for --top only
    try:
        session, writer = session_for(options), writer_for(options, env)
        with ProgressBar(_bar_stream(options, env), f"reading {options.replay}") as bar:
            recording = read_recording(options.replay, bar.update)
            for number, snapshot in enumerate(recording, start=1):
                report = session.update(snapshot)
                writer.write(report)
                if options.top:
                    reports.append(report)
                if number == options.count:
                    break
    except (RecordingError, ReportFileError) as error:
        return fail(env, str(error), ExitStatus.RECORDING_ERROR)
    if options.top:
        screen = TopScreen(env.stdout, env.stdin, env.stderr, replay=True)
        # Ctrl-C leaves as `q` does
        with screen, contextlib.suppress(KeyboardInterrupt):
            screen.browse(reports)
    return final_status(writer, options, env)


def _bar_stream(options: argparse.Namespace, env: Environment) -> TextIO | None:
    """A bar only where it does not mix with the report: stdout redirected, or --top (which
    prints nothing until the recording is read)."""
    return env.stderr if options.top or not env.stdout.isatty() else None
