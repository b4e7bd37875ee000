"""Small helpers shared by the tests."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import datetime

from ska_tango_event_monitor.cli.main import Environment, main


def run_cli(*args: str, now: Callable[[], datetime] = datetime.now) -> tuple[int, str, str]:
    """Run the command in this process; returns (exit status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    status = main(list(args), Environment(stdout=stdout, stderr=stderr, now=now))
    return status, stdout.getvalue(), stderr.getvalue()


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(0.05)
