"""Watching the demo's processes while the scan runs and the late Mode.IDLE arrives."""

from __future__ import annotations

import subprocess
import time

import tango

from ska_tango_event_monitor.tutorial.control_system import (
    MODE_IDLE,
    MODE_SCANNING,
    ROGUE_DEVICE,
    Settings,
)
from ska_tango_event_monitor.tutorial.device_proxy import proxy
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.scan_call import SCAN_CLIENT_TIMEOUT, ScanCall
from ska_tango_event_monitor.tutorial.system import TutorialSystem

_WATCH_INTERVAL = 0.2
_IDLE_GRACE = 30.0  # beyond the client timeout or the rogue's backlog


def check_alive(system: TutorialSystem, monitor: subprocess.Popen[bytes]) -> None:
    """Raise TutorialError if a server or the monitor exited."""
    dead = system.dead()
    if dead:
        raise TutorialError(dead)
    if monitor.poll() is not None:
        raise TutorialError(f"the event monitor exited early (status {monitor.returncode})")


def sleep_watching(
    system: TutorialSystem, monitor: subprocess.Popen[bytes], seconds: float
) -> None:
    """Sleep, but raise TutorialError as soon as a process exits."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        check_alive(system, monitor)
        time.sleep(min(_WATCH_INTERVAL, remaining))


def follow_scan(
    system: TutorialSystem,
    monitor: subprocess.Popen[bytes],
    call: ScanCall,
    settings: Settings,
) -> float | None:
    """Wait for the scan call; on the timeout, wait for the late Mode.IDLE in the top server.

    Returns when foo/bar/rogue (beside foo/bar/top) processed Mode.IDLE, in seconds since
    the scan call started (None if the scan succeeded before we saw it).
    """
    rogue = proxy(system.tango_host, ROGUE_DEVICE, 1.0)
    backlog = settings.scan_points * max(settings.rogue_delay, 1 / settings.event_rate_hz)
    deadline = call.started_at + max(SCAN_CLIENT_TIMEOUT, backlog) + _IDLE_GRACE
    saw_scanning = False
    while True:
        check_alive(system, monitor)
        mode = _read_mode(rogue)
        now = time.monotonic()
        if mode == MODE_SCANNING:
            saw_scanning = True
        elif mode == MODE_IDLE and saw_scanning and not call.is_alive():
            return now - call.started_at
        if not call.is_alive():
            if call.error is None:
                return None
            if not call.timed_out_waiting_for_idle:
                raise TutorialError(call.outcome())
        if now > deadline:
            raise TutorialError(
                f"{ROGUE_DEVICE} did not see Mode.IDLE within {now - call.started_at:.0f} s "
                "of the scan's start"
            )
        time.sleep(_WATCH_INTERVAL)


def _read_mode(rogue: tango.DeviceProxy) -> int | None:
    try:
        return int(rogue.read_attribute("mode").value)
    except (tango.DevFailed, TypeError, ValueError):
        return None
