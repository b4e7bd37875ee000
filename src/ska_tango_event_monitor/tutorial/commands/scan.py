"""``scan``: call TopDevice.Scan() on the running system and print the outcome."""

from __future__ import annotations

from pathlib import Path

from ska_tango_event_monitor.tutorial.console import PROG, say
from ska_tango_event_monitor.tutorial.control_system import SERVER_NAME, TOP_DEVICE
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.recorded_state import require_state
from ska_tango_event_monitor.tutorial.scan_call import ScanCall
from ska_tango_event_monitor.tutorial.state_dir import state_dir_option


def scan(state_dir: Path, timeout: float) -> int:
    """Call Scan() with a client ``timeout``; raise TutorialError if it fails."""
    state = require_state(state_dir)
    top = next((proc for proc in state.processes if proc.name == "top"), None)
    if top is None or not top.record.is_running():
        opts = state_dir_option(state_dir)
        raise TutorialError(f"{SERVER_NAME}/top is not running: see `{PROG} status{opts}`")
    say(f"Calling TopDevice.Scan() on {TOP_DEVICE} (client timeout {timeout:g} s) ...")
    call = ScanCall(state.tango_host, timeout)
    call.start()  # in a thread, so that Ctrl-C is handled at once
    while call.is_alive():
        call.join(0.2)
    if call.error is not None:
        raise TutorialError(f"TopDevice.Scan() failed after {call.duration:.2f} s: {call.error}")
    say(call.outcome())
    return 0
