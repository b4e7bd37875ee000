"""One Tango device server run as a local process, bound to loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import tango

from ska_tango_event_monitor.local_tango.errors import (
    LocalTangoError,
    exit_description,
    process_failure,
)
from ska_tango_event_monitor.local_tango.escalation import stop_child
from ska_tango_event_monitor.local_tango.lifecycle import StartedInWithBlock
from ska_tango_event_monitor.local_tango.logs import log_tail
from ska_tango_event_monitor.local_tango.ports import LOOPBACK
from ska_tango_event_monitor.local_tango.process_record import ProcessRecord
from ska_tango_event_monitor.local_tango.readiness import wait_answering

_PING_TIMEOUT_MS = 1000

# Popen objects of detached processes: kept so that they are never garbage-collected
# (and warned about) while this interpreter runs; the processes outlive it.
_DETACHED: list[subprocess.Popen[bytes]] = []


class DeviceServerProcess(StartedInWithBlock):
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
        self._require_started()
        deadline = time.monotonic() + timeout
        for device in devices:
            self._wait_answering(device, deadline, timeout)

    def stop(self, timeout: float = 5.0) -> int | None:
        """SIGTERM (then SIGKILL after ``timeout`` s), wait and reap; return the exit code.

        Does nothing (returns None) if the process was never started or was detached.
        """
        if self._popen is None:
            return None
        self._paused = False
        # SIGCONT too: a paused process only handles SIGTERM once continued
        terminate = ((signal.SIGTERM, signal.SIGCONT), timeout)
        return stop_child(self._popen, [terminate, ((signal.SIGKILL,), None)])

    def kill(self) -> int | None:
        """SIGKILL the process, wait and reap; return the exit code."""
        if self._popen is None:
            return None
        self._paused = False
        return stop_child(self._popen, [((signal.SIGKILL,), None)])

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): it stays up but answers nothing. Returns once it
        is stopped: the signal takes effect later (under gVisor most of the time), and a
        call made meanwhile would still be answered."""
        popen = self._require_running()
        popen.send_signal(signal.SIGSTOP)
        self._paused = True
        deadline = time.monotonic() + 2.0
        while _process_state(popen.pid) not in ("T", None) and time.monotonic() < deadline:
            time.sleep(0.001)

    def resume(self) -> None:
        """Continue a paused process (SIGCONT)."""
        self._require_running().send_signal(signal.SIGCONT)
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
        return exit_description(self._popen.poll())

    def log_tail(self, lines: int = 15) -> str:
        """The last lines of the log."""
        return log_tail(self.log_path, lines)

    def __repr__(self) -> str:
        return f"<DeviceServerProcess {self.name} pid={self.pid} alive={self.alive}>"

    # -- helpers ---------------------------------------------------------------------

    def _is_started(self) -> bool:
        return self._popen is not None

    def _require_started(self) -> subprocess.Popen[bytes]:
        if self._popen is None:
            raise LocalTangoError(f"{self.name} is not started")
        return self._popen

    def _require_running(self) -> subprocess.Popen[bytes]:
        popen = self._require_started()
        if popen.poll() is not None:
            summary = f"{self.name} {exit_description(popen.returncode)}"
            raise process_failure(summary, self.log_path)
        return popen

    def _wait_answering(self, device: str, deadline: float, timeout: float) -> None:
        trl = _full_trl(device, self.tango_host)
        wait_answering(
            self,
            lambda seconds_left: _ping(trl, seconds_left),
            deadline,
            exited=lambda how: f"{self.name} {how} before {device} answered",
            late=lambda error: f"{device} did not answer within {timeout:g} s ({error})",
        )


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


def _ping(trl: str, seconds_left: float) -> None:
    proxy = tango.DeviceProxy(trl)
    proxy.set_timeout_millis(int(min(_PING_TIMEOUT_MS, seconds_left * 1000) or 1))
    proxy.ping()


def _process_state(pid: int) -> str | None:
    """The state letter of /proc/PID/stat (`T`: stopped); None where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rpartition(")")[2].split()[0]
