"""What the operating system says about a process: state, start time, command line."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import NamedTuple

_PROC = Path("/proc")


class ProcessInfo(NamedTuple):
    """One process as the process table shows it."""

    state: str  # one letter, as in ps: R, S, T, Z...
    start_time: str
    cmdline: tuple[str, ...]

    @property
    def exited(self) -> bool:
        """True for a zombie (exited, not yet reaped) or a dead process."""
        return self.state in ("Z", "X")


def read_process(pid: int) -> ProcessInfo | None:
    """The process ``pid``, or None if there is no such process."""
    if _PROC.is_dir():
        return _read_proc(pid)
    return _read_ps(pid)  # no /proc (e.g. macOS)


def reap_if_child(pid: int) -> None:
    """Collect ``pid`` if it is a terminated child of ours (so it stops being a zombie)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _read_proc(pid: int) -> ProcessInfo | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        raw_cmdline = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    # the command name in parentheses may hold spaces: split after the last ')'
    fields = stat.rsplit(")", 1)[1].split()
    cmdline = tuple(
        part.decode("utf-8", errors="replace") for part in raw_cmdline.split(b"\0")[:-1]
    )
    return ProcessInfo(state=fields[0], start_time=fields[19], cmdline=cmdline)


def _read_ps(pid: int) -> ProcessInfo | None:
    try:
        out = subprocess.run(
            ["ps", "-o", "stat=", "-o", "lstart=", "-o", "command=", "-p", str(pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        return None
    parts = out.split(None, 6)  # stat, 5 words of lstart, command
    if len(parts) < 6:
        return None
    return ProcessInfo(parts[0][:1], " ".join(parts[1:6]), tuple(parts[6:]))
