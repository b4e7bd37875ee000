"""What ``up`` records about the running system, for the commands that follow it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ska_tango_event_monitor.local_tango import ProcessRecord
from ska_tango_event_monitor.tutorial.console import PROG
from ska_tango_event_monitor.tutorial.control_system import (
    SERVER_DEVICES,
    SERVER_LABELS,
    Settings,
)
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.state_dir import STATE_FILE, log_path

STATE_VERSION = 1


@dataclass(frozen=True)
class RecordedProcess:
    """One process of the system as ``up`` left it running."""

    name: str
    label: str
    record: ProcessRecord
    log: Path
    devices: tuple[str, ...]


@dataclass(frozen=True)
class State:
    """The system ``up`` started: its database address and its processes in start order."""

    tango_host: str
    processes: tuple[RecordedProcess, ...]

    def running(self) -> list[RecordedProcess]:
        """The processes that still run."""
        return [proc for proc in self.processes if proc.record.is_running()]


def load_state(state_dir: Path) -> State | None:
    """The state recorded by ``up`` in ``state_dir``, or None if there is none."""
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TutorialError(f"cannot read {path}: {exc}") from exc
    try:
        return _parse_state(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TutorialError(f"malformed state file {path}: {exc}") from exc


def require_state(state_dir: Path) -> State:
    """The recorded state; raise TutorialError if there is none."""
    state = load_state(state_dir)
    if state is None:
        raise TutorialError(
            f"no tutorial system is recorded in {state_dir}: start one with `{PROG} up`"
        )
    return state


def write_state(
    state_dir: Path, tango_host: str, settings: Settings, records: Mapping[str, ProcessRecord]
) -> None:
    """Record the running system (atomically: a reader never sees half a file)."""
    state = {
        "version": STATE_VERSION,
        "tango_host": tango_host,
        "state_dir": str(state_dir),
        "settings": asdict(settings),
        "processes": {
            name: _process_entry(state_dir, name, record) for name, record in records.items()
        },
    }
    path = state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def _process_entry(state_dir: Path, name: str, record: ProcessRecord) -> dict[str, Any]:
    return {
        **record.to_dict(),
        "label": SERVER_LABELS[name],
        "log": str(log_path(state_dir, name)),
        "devices": list(SERVER_DEVICES.get(name, ())),
    }


def _parse_state(data: Any) -> State:
    if data["version"] != STATE_VERSION:
        raise ValueError(f"unknown version {data['version']!r}")
    processes = tuple(_parse_process(name, entry) for name, entry in data["processes"].items())
    return State(tango_host=str(data["tango_host"]), processes=processes)


def _parse_process(name: str, entry: Any) -> RecordedProcess:
    return RecordedProcess(
        name=name,
        label=str(entry.get("label", name)),
        record=ProcessRecord.from_dict(entry),
        log=Path(entry["log"]),
        devices=tuple(entry.get("devices", ())),
    )
