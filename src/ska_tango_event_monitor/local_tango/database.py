"""pytango's sqlite Tango database run as a local process on loopback."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import tango

# the module, not its function: free_port is looked up where a test substitutes it
from ska_tango_event_monitor.local_tango import ports
from ska_tango_event_monitor.local_tango.device_server import DeviceServerProcess
from ska_tango_event_monitor.local_tango.errors import LocalTangoError
from ska_tango_event_monitor.local_tango.lifecycle import StartedInWithBlock
from ska_tango_event_monitor.local_tango.ports import LOOPBACK, port_was_taken
from ska_tango_event_monitor.local_tango.process_record import ProcessRecord
from ska_tango_event_monitor.local_tango.readiness import wait_answering
from ska_tango_event_monitor.local_tango.registration import (
    DeviceRegistration,
    register_devices,
)

_START_ATTEMPTS = 3


class LocalTangoDatabase(StartedInWithBlock):
    """pytango's sqlite Tango database run as a local process on 127.0.0.1.

    In memory by default, or in ``db_file`` (which survives the process). The port is a
    free one unless given; ``tango_host`` is ``"127.0.0.1:PORT"``. :meth:`start` returns
    once ``tango.Database(host, port)`` answers. The log goes to ``log_path`` (by default
    into a temporary directory removed by :meth:`stop`).
    """

    def __init__(
        self,
        db_file: str | os.PathLike[str] | None = None,
        *,
        port: int | None = None,
        log_path: str | os.PathLike[str] | None = None,
        instance: str = "2",
        startup_timeout: float = 30.0,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.host = LOOPBACK
        self.db_file = None if db_file is None else Path(db_file).absolute()
        self._requested_port = port
        self._port: int | None = port
        self._instance = instance
        self._startup_timeout = startup_timeout
        self._extra_env = dict(extra_env or {})
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._log_path = None if log_path is None else Path(log_path)
        self.process: DeviceServerProcess | None = None

    @property
    def log_path(self) -> Path | None:
        """The log file (None before :meth:`start` when a temporary one will be used)."""
        return self._log_path

    def start(self) -> LocalTangoDatabase:
        """Start the database and wait until it answers; return self.

        With a port chosen here, a port taken meanwhile by someone else is retried with
        another one. Raises ProcessFailedError (with the log tail) on failure.
        """
        if self.process is not None:
            raise LocalTangoError("the database was already started")
        if self._log_path is None:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="tango-db-")
            self._log_path = Path(self._tmpdir.name) / "database.log"
        try:
            self._start_retrying_taken_ports(self._log_path)
        except BaseException:
            self._cleanup()  # the error carries the log tail
            raise
        return self

    @property
    def port(self) -> int:
        """The TCP port (chosen at start if not given)."""
        if self._port is None:
            raise LocalTangoError("the database is not started")
        return self._port

    @property
    def tango_host(self) -> str:
        """``"127.0.0.1:PORT"``, the value for TANGO_HOST."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """The database process id (None if not running under this object)."""
        return None if self.process is None else self.process.pid

    @property
    def alive(self) -> bool:
        """True while the database process runs."""
        return self.process is not None and self.process.alive

    def database(self) -> tango.Database:
        """A client of this database."""
        return tango.Database(self.host, self.port)

    def register(self, *registrations: DeviceRegistration) -> None:
        """Add devices (and set their properties) in the database."""
        if not self.alive:
            raise LocalTangoError("the database is not running")
        register_devices(self.database(), registrations)

    def stop(self, timeout: float = 5.0) -> int | None:
        """Stop the database process and remove the temporary log directory, if any."""
        try:
            return None if self.process is None else self.process.stop(timeout)
        finally:
            self._cleanup()

    def kill(self) -> int | None:
        """SIGKILL the database process."""
        try:
            return None if self.process is None else self.process.kill()
        finally:
            self._cleanup()

    def detach(self) -> ProcessRecord:
        """Leave the database running beyond this object; see DeviceServerProcess.detach."""
        if self.process is None:
            raise LocalTangoError("the database is not started")
        if self._tmpdir is not None:
            raise LocalTangoError("a detached database needs an explicit log_path")
        return self.process.detach()

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "?"
        return f"<LocalTangoDatabase {self.host}:{port} pid={self.pid} alive={self.alive}>"

    # -- helpers ---------------------------------------------------------------------

    def _is_started(self) -> bool:
        return self.process is not None

    def _start_retrying_taken_ports(self, log_path: Path) -> None:
        attempts = 1 if self._requested_port is not None else _START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            process = self._launch(log_path)
            try:
                self._wait_answering(process)
                return
            except BaseException:
                process.stop()
                self.process = None
                if attempt == attempts or not port_was_taken(log_path):
                    raise

    def _launch(self, log_path: Path) -> DeviceServerProcess:
        port = self._requested_port or ports.free_port(self.host)
        self.process = self._make_process(port, log_path)
        self._port = port
        return self.process.start()

    def _make_process(self, port: int, log_path: Path) -> DeviceServerProcess:
        env = {
            "PYTANGO_DATABASE_NAME": str(self.db_file) if self.db_file else ":memory:",
            "TANGO_HOST": f"{self.host}:{port}",
            **self._extra_env,
        }
        command = [sys.executable, "-m", "tango.databaseds.database"]
        command += ["--host", self.host, "--port", str(port), self._instance]
        cwd = self.db_file.parent if self.db_file else log_path.parent
        return DeviceServerProcess(command, None, log_path, env, name="Tango database", cwd=cwd)

    def _wait_answering(self, process: DeviceServerProcess) -> None:
        subject = f"the Tango database on {self.tango_host}"
        timeout = self._startup_timeout
        wait_answering(
            process,
            lambda _seconds_left: tango.Database(self.host, self.port),
            time.monotonic() + timeout,
            exited=lambda how: f"{subject} {how} at start",
            late=lambda error: f"{subject} did not answer within {timeout:g} s ({error})",
        )

    def _cleanup(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
            self._log_path = None
