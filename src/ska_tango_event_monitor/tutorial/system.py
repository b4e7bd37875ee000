"""Starting and stopping the tutorial's database and device servers."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from ska_tango_event_monitor.local_tango import (
    DeviceServerProcess,
    LocalTangoDatabase,
    ProcessRecord,
)
from ska_tango_event_monitor.tutorial.control_system import (
    SERVER_DEVICES,
    SERVER_LABELS,
    SERVER_MODULE,
    Settings,
)
from ska_tango_event_monitor.tutorial.state_dir import DB_FILE, log_path

_READY_TIMEOUT = 30.0


class TutorialSystem:
    """The database and the two servers of the tutorial, in ``state_dir`` (logs, db file).

    Used by both ``up`` (then :meth:`detach`) and ``demo`` (then :meth:`stop`).
    """

    def __init__(self, state_dir: Path, settings: Settings) -> None:
        self.state_dir = state_dir
        self.settings = settings
        self.db = LocalTangoDatabase(state_dir / DB_FILE, log_path=self.log_path("db"))
        self.servers: dict[str, DeviceServerProcess] = {}

    def log_path(self, name: str) -> Path:
        """The log of process ``name`` (db, hw, top)."""
        return log_path(self.state_dir, name)

    @property
    def tango_host(self) -> str:
        """The database's address, the value for TANGO_HOST."""
        return self.db.tango_host

    def start(self, say: Callable[[str], None] = lambda _line: None) -> None:
        """Start the database, register the devices, start hw, then top; wait for each.

        On any failure (or interruption) whatever was started is stopped again.
        """
        try:
            self.db.start()
            self.db.register(*self.settings.registrations())
            say(f"Tango database running on {self.tango_host} (pid {self.db.pid})")
            for name in ("hw", "top"):
                server = self._start_server(name)
                devices = ", ".join(SERVER_DEVICES[name])
                say(f"{server.name} running (pid {server.pid}): {devices} answer")
        except BaseException:
            self.stop()
            raise

    def dead(self) -> str | None:
        """A one-line description of the first process that exited, or None."""
        for process in self._processes().values():
            if process.pid is not None and not process.alive:
                last = process.log_tail(1).strip()
                return f"{process.name} (pid {process.pid}) {process.exit_description()}" + (
                    f" (last log line: {last})" if last else ""
                )
        return None

    def stop(self) -> None:
        """Stop top, hw and the database (whatever runs), in that order."""
        for name in ("top", "hw"):
            server = self.servers.get(name)
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        with contextlib.suppress(Exception):
            self.db.stop()

    def detach(self) -> dict[str, ProcessRecord]:
        """Leave everything running; return each process's record, in start order.

        If a process died meanwhile, everything is stopped and the error raised.
        """
        records: dict[str, ProcessRecord] = {}
        try:
            for name, process in self._processes().items():
                records[name] = process.detach()
        except BaseException:
            stop_quietly(records.values())
            self.stop()
            raise
        return records

    def _start_server(self, name: str) -> DeviceServerProcess:
        server = DeviceServerProcess(
            [sys.executable, "-m", SERVER_MODULE, name],
            self.tango_host,
            self.log_path(name),
            name=SERVER_LABELS[name],
            cwd=self.state_dir,
        )
        self.servers[name] = server
        server.start()
        server.wait_ready(SERVER_DEVICES[name], timeout=_READY_TIMEOUT)
        return server

    def _processes(self) -> dict[str, DeviceServerProcess]:
        procs = {"db": self.db.process} if self.db.process is not None else {}
        return {**procs, **self.servers}


def stop_quietly(records: Iterable[ProcessRecord]) -> None:
    """Stop detached processes, whatever goes wrong: we are cleaning up after an error."""
    for record in records:
        with contextlib.suppress(Exception):
            record.stop()
