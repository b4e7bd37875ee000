"""The event monitor as a child process of the demo."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import tango

from ska_tango_event_monitor.local_tango.escalation import stop_child
from ska_tango_event_monitor.tutorial.control_system import SERVER_NAME
from ska_tango_event_monitor.tutorial.device_proxy import proxy
from ska_tango_event_monitor.tutorial.errors import TutorialError

MONITOR_SCRIPT = "ska-tango-event-monitor"
MONITOR_MODULE = "ska_tango_event_monitor"


def monitor_command() -> list[str]:
    """The event monitor's console script next to this Python (or ``python -m``)."""
    if importlib.util.find_spec(MONITOR_MODULE) is None:
        raise TutorialError(
            f"the event monitor is not installed (no module {MONITOR_MODULE}): "
            "install ska-tango-event-monitor in this environment"
        )
    script = Path(sys.executable).parent / MONITOR_SCRIPT
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", MONITOR_MODULE]


def launch_monitor(argv: Sequence[str], tango_host: str) -> subprocess.Popen[bytes]:
    """Start the monitor on the database at ``tango_host``."""
    return subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "TANGO_HOST": tango_host},
        start_new_session=True,  # we send it SIGINT ourselves, after the story
    )


def wait_perf_monitoring(
    tango_host: str, monitor: subprocess.Popen[bytes], deadline: float
) -> bool:
    """Wait until both servers collect performance samples (the monitor switched them on).

    Querying takes samples away from the monitor, but before the scan there are none.
    """
    pending = {f"dserver/{SERVER_NAME}/hw", f"dserver/{SERVER_NAME}/top"}
    while pending and time.monotonic() < deadline:
        if monitor.poll() is not None:
            raise TutorialError(f"the event monitor exited at start (status {monitor.returncode})")
        pending -= {admin for admin in sorted(pending) if _collects_perf(tango_host, admin)}
        if pending:
            time.sleep(0.2)
    return not pending


def stop_monitor(monitor: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGINT (its clean exit), then SIGTERM, then SIGKILL; return its exit status."""
    steps = [((signal.SIGINT,), timeout), ((signal.SIGTERM,), 5.0), ((signal.SIGKILL,), None)]
    return stop_child(monitor, steps)


def _collects_perf(tango_host: str, admin: str) -> bool:
    try:
        report = json.loads(proxy(tango_host, admin, 1.0).command_inout("QueryEventSystem"))
    except (tango.DevFailed, ValueError):
        return False
    sides = [report.get("server"), report.get("client")]
    return any(isinstance(side, dict) and side.get("perf") is not None for side in sides)
