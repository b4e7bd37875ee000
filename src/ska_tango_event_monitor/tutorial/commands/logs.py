"""``logs``: print the logs of the database and the servers."""

from __future__ import annotations

import sys
from pathlib import Path

from ska_tango_event_monitor.tutorial.console import PROG, say
from ska_tango_event_monitor.tutorial.control_system import PROCESS_NAMES
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.recorded_state import load_state
from ska_tango_event_monitor.tutorial.state_dir import log_path


def logs(state_dir: Path, which: str | None) -> int:
    """Print the log of process ``which`` (db, hw, top), or all logs there are."""
    paths = _log_files(state_dir, which)
    for index, (name, path) in enumerate(paths):
        if len(paths) > 1:
            say(("\n" if index else "") + f"==> {name}: {path} <==")
        text = path.read_text(errors="replace")
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    sys.stdout.flush()
    return 0


def _log_files(state_dir: Path, which: str | None) -> list[tuple[str, Path]]:
    state = load_state(state_dir)
    recorded_logs = {proc.name: proc.log for proc in state.processes} if state else {}
    paths: list[tuple[str, Path]] = []
    for name in [which] if which else PROCESS_NAMES:
        path = recorded_logs.get(name, log_path(state_dir, name))
        if path.is_file():
            paths.append((name, path))
        elif which:
            raise TutorialError(f"no {name} log in {state_dir}")
    if not paths:
        raise TutorialError(f"no logs in {state_dir}: start the system with `{PROG} up`")
    return paths
