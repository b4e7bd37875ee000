"""``status``: is every recorded process running, does every device answer."""

from __future__ import annotations

from pathlib import Path

import tango

from ska_tango_event_monitor.tango.errors import describe_failure
from ska_tango_event_monitor.tutorial.console import say
from ska_tango_event_monitor.tutorial.device_proxy import proxy
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.recorded_state import RecordedProcess, require_state

_PING_TIMEOUT = 1.5


def status(state_dir: Path) -> int:
    """Print each process and device; raise TutorialError listing the problems, if any."""
    state = require_state(state_dir)
    problems: list[str] = []
    say(f"TANGO_HOST={state.tango_host}")
    for proc in state.processes:
        problems += _check_process(proc, state.tango_host)
    if problems:
        raise TutorialError("; ".join(problems))
    return 0


def _check_process(proc: RecordedProcess, tango_host: str) -> list[str]:
    running = proc.record.is_running()
    say(f"{proc.label:<15} pid {proc.record.pid:<8} {'running' if running else 'NOT RUNNING'}")
    if not running:
        for device in proc.devices:
            say(f"  {device:<13} down (its server is not running)")
        return [f"{proc.label} is not running"]
    return [problem for device in proc.devices if (problem := _ping(tango_host, device))]


def _ping(tango_host: str, device: str) -> str | None:
    try:
        micros = proxy(tango_host, device, _PING_TIMEOUT).ping()
    except tango.DevFailed as exc:
        say(f"  {device:<13} DOES NOT ANSWER: {describe_failure(exc, with_reason=False)}")
        return f"{device} does not answer"
    say(f"  {device:<13} answers (ping {micros} µs)")
    return None
