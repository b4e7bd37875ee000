"""Run a Tango database and device servers as local processes, bound to loopback.

An adapter for the tutorial runner and the integration tests: the monitor's core never
imports it. Everything here uses plain subprocesses, no Docker:

- :class:`LocalTangoDatabase` runs pytango's sqlite database server
  (``python -m tango.databaseds.database``) on 127.0.0.1 and a free port, in memory or
  in a given file, and registers devices (:class:`DeviceRegistration`) in it.
- :class:`DeviceServerProcess` runs one device server, bound to loopback with
  ``-ORBendPoint giop:tcp:127.0.0.1:0``, in its own session (a Ctrl-C in the terminal does
  not reach it), with its output in a log file; it can wait until its devices answer,
  be paused/resumed (SIGSTOP/SIGCONT) and stopped (SIGTERM, then SIGKILL).
- :class:`ProcessRecord` remembers a process by PID *and* identity (start time and command
  line), so that a later command can stop it without ever signalling a recycled PID.

Failures raise :class:`LocalTangoError` (or :class:`ProcessFailedError` when a process died,
with the tail of its log).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Any

import tango

__all__ = [
    "LOOPBACK",
    "DeviceRegistration",
    "DeviceServerProcess",
    "LocalTangoDatabase",
    "LocalTangoError",
    "ProcessFailedError",
    "ProcessRecord",
    "free_port",
    "log_tail",
]

LOOPBACK = "127.0.0.1"
_POLL_INTERVAL = 0.1
_PING_TIMEOUT_MS = 1000
_DB_START_ATTEMPTS = 3

# Popen objects of detached processes: kept so that they are never garbage-collected
# (and warned about) while this interpreter runs; the processes outlive it.
_DETACHED: list[subprocess.Popen[bytes]] = []


class LocalTangoError(RuntimeError):
    """A local Tango process could not be started, reached or stopped."""


class ProcessFailedError(LocalTangoError):
    """A process exited (or never became ready); carries the tail of its log.

    ``summary`` is one line; ``str()`` adds the log tail below it.
    """

    def __init__(self, summary: str, log_path: Path | None = None, tail: str = "") -> None:
        self.summary = summary
        self.log_path = log_path
        self.log_tail = tail
        text = summary
        if tail:
            text += f"\n--- last lines of {log_path} ---\n{tail}"
        super().__init__(text)


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def log_tail(path: str | os.PathLike[str] | None, lines: int = 15) -> str:
    """Return the last ``lines`` lines of a log file ('' if there is none)."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            size = log.tell()
            log.seek(max(0, size - 16384))
            data = log.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _last_line(tail: str) -> str:
    for line in reversed(tail.splitlines()):
        if line.strip():
            return line.strip()
    return ""


def _exit_description(returncode: int | None) -> str:
    if returncode is None:
        return "is still running"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"was killed by {name}"
    return f"exited with status {returncode}"


# --------------------------------------------------------------------------------------
# Process identity (for stopping a process started by an earlier command)
# --------------------------------------------------------------------------------------


def _read_proc(pid: int) -> tuple[str, str, tuple[str, ...]] | None:
    """(state, start time, command line) of ``pid``, or None if there is no such process."""
    proc = Path("/proc")
    if proc.is_dir():
        try:
            stat = (proc / str(pid) / "stat").read_text()
            raw_cmdline = (proc / str(pid) / "cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            return None
        except OSError:
            return None
        # the command name in parentheses may hold spaces: split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        state, start_time = fields[0], fields[19]
        cmdline = tuple(
            part.decode("utf-8", errors="replace") for part in raw_cmdline.split(b"\0")[:-1]
        )
        return state, start_time, cmdline
    # no /proc (e.g. macOS): ask ps
    try:
        out = subprocess.run(
            ["ps", "-o", "stat=", "-o", "lstart=", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    if not out:
        return None
    parts = out.split(None, 6)  # stat, 5 words of lstart, command
    if len(parts) < 6:
        return None
    return parts[0][:1], " ".join(parts[1:6]), tuple(parts[6:])


def _reap_if_child(pid: int) -> None:
    """Collect ``pid`` if it is a terminated child of ours (so it stops being a zombie)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


@dataclass(frozen=True)
class ProcessRecord:
    """A process remembered by PID and identity (start time and command line).

    Stored as JSON by a command (``to_dict``), read back by a later one (``from_dict``):
    :meth:`is_running` and :meth:`stop` act only if the PID still belongs to the very
    process that was recorded, so a recycled PID is never signalled.
    """

    pid: int
    start_time: str
    cmdline: tuple[str, ...]

    @classmethod
    def capture(cls, pid: int) -> ProcessRecord:
        """Record the running process ``pid``; raise LocalTangoError if there is none."""
        info = _read_proc(pid)
        if info is None or info[0] in ("Z", "X"):
            raise LocalTangoError(f"no running process with PID {pid}")
        return cls(pid=pid, start_time=info[1], cmdline=info[2])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcessRecord:
        """Read a record written by :meth:`to_dict`; raise ValueError if malformed."""
        try:
            pid = data["pid"]
            start_time = data["start_time"]
            cmdline = data["cmdline"]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed process record: {data!r}") from exc
        if (
            not isinstance(pid, int)
            or pid <= 0
            or not isinstance(start_time, str)
            or not isinstance(cmdline, list)
            or not all(isinstance(part, str) for part in cmdline)
        ):
            raise ValueError(f"malformed process record: {data!r}")
        return cls(pid=pid, start_time=start_time, cmdline=tuple(cmdline))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form of this record."""
        return {"pid": self.pid, "start_time": self.start_time, "cmdline": list(self.cmdline)}

    def is_ours(self) -> bool:
        """True if ``pid`` is (still) the recorded process, running or a zombie."""
        info = _read_proc(self.pid)
        if info is None:
            return False
        # a zombie has lost its command line: its start time is enough
        if info[0] in ("Z", "X"):
            return info[1] == self.start_time
        return info[1] == self.start_time and info[2] == self.cmdline

    def is_running(self) -> bool:
        """True if the recorded process is alive (not exited, not a zombie)."""
        info = _read_proc(self.pid)
        return (
            info is not None
            and info[0] not in ("Z", "X")
            and info[1] == self.start_time
            and info[2] == self.cmdline
        )

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the recorded process: SIGTERM, then SIGKILL after ``timeout`` seconds.

        Returns False (signalling nothing) if the PID no longer belongs to the recorded
        process or it already exited; True once it was stopped. Raises LocalTangoError if
        it survives SIGKILL.
        """
        if not self.is_running():
            _reap_if_child(self.pid)
            return False
        # SIGCONT too: a paused (SIGSTOP) process only handles SIGTERM once continued
        for sig in (signal.SIGTERM, signal.SIGCONT):
            self._signal(sig)
        if self._wait_gone(timeout):
            return True
        if self.is_running():
            self._signal(signal.SIGKILL)
        if self._wait_gone(5.0):
            return True
        raise LocalTangoError(f"process {self.pid} did not exit after SIGKILL")

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            _reap_if_child(self.pid)
            if not self.is_running():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


# --------------------------------------------------------------------------------------
# Device servers
# --------------------------------------------------------------------------------------


def _child_env(tango_host: str | None, extra_env: Mapping[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"  # live logs from Python servers
    if tango_host is not None:
        env["TANGO_HOST"] = tango_host
    if extra_env:
        env.update(extra_env)
    return env


def _full_trl(device: str, tango_host: str | None) -> str:
    if device.startswith("tango://") or tango_host is None:
        return device
    return f"tango://{tango_host}/{device}"


def _devfailed_text(exc: tango.DevFailed) -> str:
    if not exc.args:
        return str(exc)
    first = exc.args[0]
    desc = " ".join(str(getattr(first, "desc", first)).split())
    reason = getattr(first, "reason", "")
    return f"{reason}: {desc}" if reason else desc


class DeviceServerProcess:
    """One device server run as a local process, its output in ``log_path``.

    ``command`` is the full command (e.g. ``[sys.executable, "-m", "pkg.server", "inst"]``).
    With a ``tango_host`` the server uses that database (``TANGO_HOST`` is set for it) and
    ``-ORBendPoint giop:tcp:127.0.0.1:0`` is appended unless the command has an
    ``-ORBendPoint`` already. With ``tango_host=None`` nothing is added: a server without
    database brings its own arguments (``-nodb -ORBendPoint giop:tcp:127.0.0.1:PORT ...``).
    The process runs in a new session and process group, so a Ctrl-C in the terminal
    does not reach it; stop it with :meth:`stop` (also on leaving a ``with`` block).
    """

    def __init__(
        self,
        command: Sequence[str],
        tango_host: str | None,
        log_path: str | os.PathLike[str],
        extra_env: Mapping[str, str] | None = None,
        *,
        name: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        if not command:
            raise ValueError("empty command")
        command = list(command)
        if tango_host is not None and "-ORBendPoint" not in command:
            command += ["-ORBendPoint", f"giop:tcp:{LOOPBACK}:0"]
        self.command: tuple[str, ...] = tuple(command)
        self.tango_host = tango_host
        self.log_path = Path(log_path)
        self.name = name or " ".join(Path(part).name for part in self.command[:4])
        self._extra_env = dict(extra_env or {})
        self._cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None
        self._paused = False

    # -- life cycle ------------------------------------------------------------------

    def start(self) -> DeviceServerProcess:
        """Start the process (its output appended to ``log_path``); return self."""
        if self._popen is not None:
            raise LocalTangoError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(self.log_path, "ab") as log:
                self._popen = subprocess.Popen(
                    self.command,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=_child_env(self.tango_host, self._extra_env),
                    cwd=self._cwd,
                    start_new_session=True,
                )
        except OSError as exc:
            raise LocalTangoError(f"cannot start {self.name}: {exc}") from exc
        return self

    def wait_ready(self, devices: Iterable[str], timeout: float = 30.0) -> None:
        """Ping ``devices`` until each answers; fail fast if the process exits.

        Device names without ``tango://`` are looked up in this server's ``tango_host``.
        Raises ProcessFailedError (with the log tail) if the process exited or a device
        did not answer within ``timeout`` seconds.
        """
        popen = self._require_started()
        deadline = time.monotonic() + timeout
        for device in devices:
            trl = _full_trl(device, self.tango_host)
            last_error = "no answer yet"
            while True:
                if popen.poll() is not None:
                    raise self._failure(
                        f"{self.name} {_exit_description(popen.returncode)} "
                        f"before {device} answered"
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._failure(
                        f"{device} did not answer within {timeout:g} s ({last_error})"
                    )
                try:
                    proxy = tango.DeviceProxy(trl)
                    proxy.set_timeout_millis(int(min(_PING_TIMEOUT_MS, remaining * 1000) or 1))
                    proxy.ping()
                    break
                except tango.DevFailed as exc:
                    last_error = _devfailed_text(exc)
                time.sleep(min(_POLL_INTERVAL, max(0.0, deadline - time.monotonic())))

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM (then SIGKILL after ``timeout`` s), wait and reap; return the exit code.

        Does nothing (returns None) if the process was never started or was detached.
        """
        popen = self._popen
        if popen is None:
            return None
        if popen.poll() is None:
            # SIGCONT too: a paused process only handles SIGTERM once continued
            for sig in (signal.SIGTERM, signal.SIGCONT):
                self._send(sig)
            self._paused = False
            try:
                popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self._send(signal.SIGKILL)
                popen.wait()
        return popen.returncode

    def kill(self) -> int | None:
        """SIGKILL the process, wait and reap; return the exit code."""
        popen = self._popen
        if popen is None:
            return None
        if popen.poll() is None:
            self._send(signal.SIGKILL)
            popen.wait()
        self._paused = False
        return popen.returncode

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): it stays up but answers nothing."""
        self._require_running()
        self._send(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Continue a paused process (SIGCONT)."""
        self._require_running()
        self._send(signal.SIGCONT)
        self._paused = False

    def detach(self) -> ProcessRecord:
        """Leave the process running beyond this object (and this interpreter).

        Returns a :class:`ProcessRecord` with which a later command can stop it.
        """
        popen = self._require_running()
        record = ProcessRecord.capture(popen.pid)
        _DETACHED.append(popen)
        self._popen = None
        return record

    def record(self) -> ProcessRecord:
        """The identity of the running process (see :class:`ProcessRecord`)."""
        return ProcessRecord.capture(self._require_running().pid)

    # -- state -----------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The process id, or None if not started."""
        return None if self._popen is None else self._popen.pid

    @property
    def alive(self) -> bool:
        """True while the started process has not exited (paused counts as alive)."""
        return self._popen is not None and self._popen.poll() is None

    @property
    def paused(self) -> bool:
        """True between :meth:`pause` and :meth:`resume`."""
        return self._paused and self.alive

    @property
    def returncode(self) -> int | None:
        """The exit code once the process exited (negative: killed by that signal)."""
        return None if self._popen is None else self._popen.poll()

    def exit_description(self) -> str:
        """'exited with status N', 'was killed by SIGKILL', 'is still running'..."""
        if self._popen is None:
            return "is not started"
        return _exit_description(self._popen.poll())

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the log."""
        return log_tail(self.log_path, lines)

    def __enter__(self) -> DeviceServerProcess:
        if self._popen is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<DeviceServerProcess {self.name} pid={self.pid} alive={self.alive}>"

    # -- helpers ---------------------------------------------------------------------

    def _require_started(self) -> subprocess.Popen[bytes]:
        if self._popen is None:
            raise LocalTangoError(f"{self.name} is not started")
        return self._popen

    def _require_running(self) -> subprocess.Popen[bytes]:
        popen = self._require_started()
        if popen.poll() is not None:
            raise self._failure(f"{self.name} {_exit_description(popen.returncode)}")
        return popen

    def _send(self, sig: signal.Signals) -> None:
        popen = self._popen
        if popen is not None and popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                popen.send_signal(sig)

    def _failure(self, summary: str) -> ProcessFailedError:
        tail = self.log_tail()
        last = _last_line(tail)
        if last:
            summary = f"{summary}: {last}"
        return ProcessFailedError(f"{summary} (log: {self.log_path})", self.log_path, tail)


# --------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceRegistration:
    """A device to register in the database, with its device properties.

    ``server`` is ``Executable/instance`` (e.g. ``MyServer/hw``); property values are a
    string or a sequence of strings (Tango stores every property as a list of strings).
    """

    server: str
    device_class: str
    device: str
    properties: Mapping[str, str | Sequence[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        if self.server.count("/") != 1:
            raise ValueError(f"server must be 'Executable/instance', not {self.server!r}")
        if self.device.count("/") != 2:
            raise ValueError(f"device must be 'domain/family/member', not {self.device!r}")

    def property_values(self) -> dict[str, list[str]]:
        """The properties as Tango wants them: each value a list of strings."""
        return {
            name: [value] if isinstance(value, str) else [str(item) for item in value]
            for name, value in self.properties.items()
        }


class LocalTangoDatabase:
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
        attempts = 1 if self._requested_port is not None else _DB_START_ATTEMPTS
        try:
            for attempt in range(1, attempts + 1):
                port = self._requested_port or free_port(self.host)
                process = self._make_process(port, self._log_path)
                self.process = process
                self._port = port
                process.start()
                try:
                    self._wait_answering(process)
                    return self
                except BaseException:
                    process.stop()
                    self.process = None
                    if attempt == attempts or not _port_was_taken(self._log_path):
                        raise
        except BaseException:
            self._cleanup()  # the error carries the log tail
            raise
        raise AssertionError("unreachable")

    def _make_process(self, port: int, log_path: Path) -> DeviceServerProcess:
        env = {
            "PYTANGO_DATABASE_NAME": str(self.db_file) if self.db_file else ":memory:",
            "TANGO_HOST": f"{self.host}:{port}",
        }
        env.update(self._extra_env)
        command = [
            sys.executable,
            "-m",
            "tango.databaseds.database",
            "--host",
            self.host,
            "--port",
            str(port),
            self._instance,
        ]
        cwd = self.db_file.parent if self.db_file else log_path.parent
        return DeviceServerProcess(command, None, log_path, env, name="Tango database", cwd=cwd)

    def _wait_answering(self, process: DeviceServerProcess) -> None:
        deadline = time.monotonic() + self._startup_timeout
        last_error = "no answer yet"
        while True:
            if not process.alive:
                raise process._failure(
                    f"the Tango database on {self.tango_host} "
                    f"{_exit_description(process.returncode)} at start"
                )
            try:
                tango.Database(self.host, self.port)
                return
            except tango.DevFailed as exc:
                last_error = _devfailed_text(exc)
            if time.monotonic() >= deadline:
                raise process._failure(
                    f"the Tango database on {self.tango_host} did not answer within "
                    f"{self._startup_timeout:g} s ({last_error})"
                )
            time.sleep(_POLL_INTERVAL)

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
        db = self.database()
        for registration in registrations:
            info = tango.DbDevInfo()
            info.server = registration.server
            info._class = registration.device_class
            info.name = registration.device
            try:
                db.add_device(info)
                if registration.properties:
                    db.put_device_property(registration.device, registration.property_values())
            except tango.DevFailed as exc:
                raise LocalTangoError(
                    f"cannot register {registration.device}: {_devfailed_text(exc)}"
                ) from exc

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

    def _cleanup(self) -> None:
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
            self._log_path = None

    def __enter__(self) -> LocalTangoDatabase:
        if self.process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        port = self._port if self._port is not None else "?"
        return f"<LocalTangoDatabase {self.host}:{port} pid={self.pid} alive={self.alive}>"


def _port_was_taken(log_path: Path) -> bool:
    text = log_tail(log_path, 40).lower()
    return "address in use" in text or os.strerror(errno.EADDRINUSE).lower() in text
