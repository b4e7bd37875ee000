"""The errors of local Tango processes, and how a process ended, in words."""

from __future__ import annotations

import signal
from pathlib import Path

from ska_tango_event_monitor.local_tango.logs import last_line, log_tail


class LocalTangoError(RuntimeError):
    """A local Tango process could not be started, reached or stopped."""


class ProcessFailedError(LocalTangoError):
    """A process exited (or never became ready); carries the tail of its log.

    ``summary`` is one line; ``str()`` adds the log tail below it.
    """

    def __init__(self, summary: str, log_path: Path | None = None, tail: str = "") -> None:
        self.summary = summary
        self.log_path = log_path
        self.log_tail = tail
        text = summary
        if tail:
            text += f"\n--- last lines of {log_path} ---\n{tail}"
        super().__init__(text)


def process_failure(summary: str, log_path: Path) -> ProcessFailedError:
    """A ProcessFailedError whose summary ends with the last line of the log."""
    tail = log_tail(log_path)
    last = last_line(tail)
    if last:
        summary = f"{summary}: {last}"
    return ProcessFailedError(f"{summary} (log: {log_path})", log_path, tail)


def exit_description(returncode: int | None) -> str:
    """'exited with status N', 'was killed by SIGKILL' or 'is still running'."""
    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"
