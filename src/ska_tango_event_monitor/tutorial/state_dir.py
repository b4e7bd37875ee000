"""The state directory: where ``up`` keeps the database file, the logs and its record."""

from __future__ import annotations

import contextlib
import os
import shlex
from pathlib import Path

from ska_tango_event_monitor.tutorial.control_system import PROCESS_NAMES

STATE_FILE = "state.json"
DB_FILE = "tango_database.db"


def default_state_dir() -> Path:
    """``$XDG_RUNTIME_DIR`` (or ``~/.cache``) ``/ska-tango-event-monitor/tutorial``."""
    base = os.environ.get("XDG_RUNTIME_DIR") or str(Path.home() / ".cache")
    return Path(base) / "ska-tango-event-monitor" / "tutorial"


def log_path(state_dir: Path, name: str) -> Path:
    """The log of process ``name`` (db, hw, top)."""
    return state_dir / f"{name}.log"


def remove_state_files(state_dir: Path, remove_dir: bool = True) -> None:
    """Remove what ``up`` leaves in ``state_dir`` (and the directory if then empty)."""
    paths = [state_dir / STATE_FILE, state_dir / DB_FILE]
    paths += [log_path(state_dir, name) for name in PROCESS_NAMES]
    for path in paths:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()
    if remove_dir:
        with contextlib.suppress(OSError):
            state_dir.rmdir()


def state_dir_option(state_dir: Path) -> str:
    """`` --state-dir DIR`` for the commands we suggest ('' for the default directory)."""
    if state_dir == default_state_dir():
        return ""
    return f" --state-dir {shlex.quote(str(state_dir))}"
