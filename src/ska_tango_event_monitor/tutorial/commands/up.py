"""``up``: start the system in the background and record it in the state directory."""

from __future__ import annotations

import time
from pathlib import Path

from ska_tango_event_monitor.tutorial.console import PROG, note, say
from ska_tango_event_monitor.tutorial.control_system import HW_DEVICE, TOP_DEVICE, Settings
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.recorded_state import load_state, write_state
from ska_tango_event_monitor.tutorial.state_dir import remove_state_files, state_dir_option
from ska_tango_event_monitor.tutorial.system import TutorialSystem, stop_quietly


def up(state_dir: Path, settings: Settings) -> int:
    """Start the system, leave it running, record it and say how to use it."""
    _prepare_state_dir(state_dir)
    started = time.monotonic()
    system = TutorialSystem(state_dir, settings)
    system.start(note)
    records = system.detach()
    try:
        write_state(state_dir, system.tango_host, settings, records)
    except BaseException:
        stop_quietly(records.values())
        raise
    note(f"Started in {time.monotonic() - started:.1f} s; state and logs in {state_dir}")
    _say_how_to_use(system.tango_host, state_dir_option(state_dir))
    return 0


def _prepare_state_dir(state_dir: Path) -> None:
    state = load_state(state_dir)
    if state is not None and state.running():
        raise TutorialError(
            f"a tutorial system is already running (TANGO_HOST={state.tango_host}, "
            f"state in {state_dir}): stop it with `{PROG} down{state_dir_option(state_dir)}`"
        )
    # a stale state (nothing of it runs any more) or logs of a failed start: start afresh
    remove_state_files(state_dir, remove_dir=False)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TutorialError(f"cannot create the state directory {state_dir}: {exc}") from exc


def _say_how_to_use(tango_host: str, opts: str) -> None:
    """Only the export line goes to stdout: `eval "$(... up)"` sets TANGO_HOST."""
    note()
    note(f'Use this Tango database in your shell (or: eval "$({PROG} up{opts})"):')
    say(f"export TANGO_HOST={tango_host}")
    note("then, for example:")
    note(f"  ska-tango-event-monitor --monitor {HW_DEVICE} {TOP_DEVICE}   # watch the events")
    note(f"  {PROG} scan{opts}   # in another shell: TopDevice.Scan()")
    note(f"  {PROG} status{opts}")
    note(f"  {PROG} logs hw{opts}")
    note(f"  {PROG} down{opts}   # stop everything")
