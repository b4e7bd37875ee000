"""``demo``: the tutorial's story in the foreground: start, monitor a scan, stop."""

from __future__ import annotations

import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ska_tango_event_monitor.tutorial.console import say
from ska_tango_event_monitor.tutorial.control_system import HW_DEVICE, TOP_DEVICE, Settings
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.hw_log import hw_log_scan_lines
from ska_tango_event_monitor.tutorial.monitor_process import (
    launch_monitor,
    stop_monitor,
    wait_perf_monitoring,
)
from ska_tango_event_monitor.tutorial.scan_call import SCAN_CLIENT_TIMEOUT, ScanCall
from ska_tango_event_monitor.tutorial.scan_watch import follow_scan, sleep_watching
from ska_tango_event_monitor.tutorial.story import conclude, introduce
from ska_tango_event_monitor.tutorial.system import TutorialSystem

_PERF_MONITORING_WAIT = 15.0
_CLEAN_EXITS = (0, 130, -signal.SIGINT)  # the monitor's status after our SIGINT


def demo(settings: Settings, period: float, monitor_command: Sequence[str]) -> int:
    """Start the system in a temporary directory, monitor a scan, explain it, stop all.

    ``period`` is the monitor's polling period; ``monitor_command`` starts the monitor.
    """
    with tempfile.TemporaryDirectory(prefix="ska-tango-event-monitor-demo-") as tmp:
        system = TutorialSystem(Path(tmp), settings)
        monitor: subprocess.Popen[bytes] | None = None
        try:
            introduce(settings)
            system.start(say)
            monitor = _launch_monitor(monitor_command, system.tango_host, period)
            _wait_first_snapshot(system.tango_host, monitor, period)
            call = _start_scan(system.tango_host, period)
            idle_at = follow_scan(system, monitor, call, settings)
            sleep_watching(system, monitor, period + 0.5)  # the snapshot after the scan
            _stop_monitor_cleanly(monitor)
            conclude(call, idle_at, hw_log_scan_lines(system.log_path("hw")), settings)
            return 0
        finally:
            if monitor is not None and monitor.poll() is None:
                stop_monitor(monitor)
            system.stop()


def _launch_monitor(
    monitor_command: Sequence[str], tango_host: str, period: float
) -> subprocess.Popen[bytes]:
    argv = [*monitor_command, "--monitor", "--polling-period", f"{period:g}"]
    argv += [HW_DEVICE, TOP_DEVICE]
    say(
        f"Running: TANGO_HOST={tango_host} ska-tango-event-monitor --monitor "
        f"--polling-period {period:g} {HW_DEVICE} {TOP_DEVICE}"
    )
    return launch_monitor(argv, tango_host)


def _wait_first_snapshot(tango_host: str, monitor: subprocess.Popen[bytes], period: float) -> None:
    deadline = time.monotonic() + _PERF_MONITORING_WAIT
    if not wait_perf_monitoring(tango_host, monitor, deadline):
        say("(the monitor has not switched performance monitoring on yet; going on)")
    time.sleep(min(1.0, period))  # let its first snapshot out


def _start_scan(tango_host: str, period: float) -> ScanCall:
    say(
        f"Calling TopDevice.Scan() (client timeout {SCAN_CLIENT_TIMEOUT:g} s) in the "
        f"background; a snapshot every {period:g} s follows."
    )
    call = ScanCall(tango_host)
    call.start()
    return call


def _stop_monitor_cleanly(monitor: subprocess.Popen[bytes]) -> None:
    status = stop_monitor(monitor)
    if status not in _CLEAN_EXITS:
        raise TutorialError(f"the event monitor exited with status {status}")
