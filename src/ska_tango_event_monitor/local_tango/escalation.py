"""Stopping a child process by escalating signals until it exits."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from collections.abc import Sequence

# signals to send at once, then how long to wait for the exit (None: for ever)
Step = tuple[Sequence[signal.Signals], float | None]


def stop_child(popen: subprocess.Popen[bytes], steps: Sequence[Step]) -> int:
    """Take the steps in turn until the process exited; wait for it and return its status.

    Nothing is sent to a process that already exited.
    """
    for signals, wait in steps:
        if popen.poll() is not None:
            break
        for sig in signals:
            popen.send_signal(sig)  # skips a process that exited meanwhile
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(wait)
    return popen.wait()
