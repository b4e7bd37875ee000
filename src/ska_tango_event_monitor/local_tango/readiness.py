"""Waiting until a freshly started process answers Tango requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import tango

from ska_tango_event_monitor.local_tango.errors import exit_description, process_failure
from ska_tango_event_monitor.tango.errors import describe_failure

POLL_INTERVAL = 0.1


class WatchedProcess(Protocol):
    """The little that waiting needs to know about a started process."""

    log_path: Path

    @property
    def alive(self) -> bool: ...

    @property
    def returncode(self) -> int | None: ...


def wait_answering(
    process: WatchedProcess,
    probe: Callable[[float], object],
    deadline: float,
    exited: Callable[[str], str],
    late: Callable[[str], str],
) -> None:
    """Call ``probe(seconds_left)`` until it no longer raises DevFailed.

    Raises ProcessFailedError (with the log tail) as soon as the process exits, summarised
    by ``exited(how it ended)``, or once ``deadline`` passed, by ``late(last error)``.
    """
    last_error = "no answer yet"
    while True:
        if not process.alive:
            raise process_failure(exited(exit_description(process.returncode)), process.log_path)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise process_failure(late(last_error), process.log_path)
        try:
            probe(remaining)
            return
        except tango.DevFailed as exc:
            last_error = describe_failure(exc)
        time.sleep(min(POLL_INTERVAL, max(0.0, deadline - time.monotonic())))
