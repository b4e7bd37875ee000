"""``down``: stop every recorded process and remove the state directory."""

from __future__ import annotations

from pathlib import Path

from ska_tango_event_monitor.local_tango import LocalTangoError
from ska_tango_event_monitor.tutorial.console import say
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.recorded_state import RecordedProcess, load_state
from ska_tango_event_monitor.tutorial.state_dir import remove_state_files

_STOP_TIMEOUT = 5.0


def down(state_dir: Path) -> int:
    """Stop the processes in reverse start order; keep the state if one would not stop."""
    state = load_state(state_dir)
    if state is None:
        say(f"Nothing to stop: no tutorial system is recorded in {state_dir}")
        return 0
    failures = [failure for proc in reversed(state.processes) if (failure := _stop(proc))]
    if failures:
        raise TutorialError("could not stop " + "; ".join(failures))
    remove_state_files(state_dir)
    return 0


def _stop(proc: RecordedProcess) -> str | None:
    """Stop one process and say so; return what went wrong, if anything."""
    try:
        if proc.record.stop(timeout=_STOP_TIMEOUT):
            say(f"Stopped {proc.label} (pid {proc.record.pid})")
        else:
            say(f"{proc.label} (pid {proc.record.pid}) was not running")
    except (LocalTangoError, OSError) as exc:
        return f"{proc.label} (pid {proc.record.pid}): {exc}"
    return None
