"""Remembering a process by PID and identity, so that a later command can stop it safely."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ska_tango_event_monitor.local_tango.errors import LocalTangoError
from ska_tango_event_monitor.local_tango.process_table import (
    ProcessInfo,
    read_process,
    reap_if_child,
)

_KILL_TIMEOUT = 5.0


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
        info = read_process(pid)
        if info is None or info.exited:
            raise LocalTangoError(f"no running process with PID {pid}")
        return cls(pid=pid, start_time=info.start_time, cmdline=info.cmdline)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProcessRecord:
        """Read a record written by :meth:`to_dict`; raise ValueError if malformed."""
        try:
            pid, start_time, cmdline = data["pid"], data["start_time"], data["cmdline"]
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed process record: {data!r}") from exc
        if not (_is_pid(pid) and isinstance(start_time, str) and _is_str_list(cmdline)):
            raise ValueError(f"malformed process record: {data!r}")
        return cls(pid=pid, start_time=start_time, cmdline=tuple(cmdline))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form of this record."""
        return {"pid": self.pid, "start_time": self.start_time, "cmdline": list(self.cmdline)}

    def is_ours(self) -> bool:
        """True if ``pid`` is (still) the recorded process, running or a zombie."""
        info = read_process(self.pid)
        if info is None:
            return False
        # a zombie has lost its command line: its start time is enough
        if info.exited:
            return info.start_time == self.start_time
        return self._is_this(info)

    def is_running(self) -> bool:
        """True if the recorded process is alive (not exited, not a zombie)."""
        info = read_process(self.pid)
        return info is not None and not info.exited and self._is_this(info)

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the recorded process: SIGTERM, then SIGKILL after ``timeout`` seconds.

        Returns False (signalling nothing) if the PID no longer belongs to the recorded
        process or it already exited; True once it was stopped. Raises LocalTangoError if
        it survives SIGKILL.
        """
        if not self.is_running():
            reap_if_child(self.pid)
            return False
        # SIGCONT too: a paused (SIGSTOP) process only handles SIGTERM once continued
        for sig in (signal.SIGTERM, signal.SIGCONT):
            self._signal(sig)
        if self._wait_gone(timeout):
            return True
        if self.is_running():
            self._signal(signal.SIGKILL)
        if self._wait_gone(_KILL_TIMEOUT):
            return True
        raise LocalTangoError(f"process {self.pid} did not exit after SIGKILL")

    def _is_this(self, info: ProcessInfo) -> bool:
        return info.start_time == self.start_time and info.cmdline == self.cmdline

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def _still_there(self) -> bool:
        """Not yet a zombie. An exiting process loses its command line before it becomes
        one, so only the start time identifies it here."""
        info = read_process(self.pid)
        return info is not None and not info.exited and info.start_time == self.start_time

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            reap_if_child(self.pid)
            if not self._still_there():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _is_pid(value: object) -> bool:
    return isinstance(value, int) and value > 0


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(part, str) for part in value)
