"""Reading the end of a process's log file."""

from __future__ import annotations

import os

_TAIL_BYTES = 16384  # enough for the last lines; a log may be long


def log_tail(path: str | os.PathLike[str] | None, lines: int = 15) -> str:
    """Return the last ``lines`` lines of a log file ('' if there is none)."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _TAIL_BYTES))
            data = log.read()
    except OSError:
        return ""
    text = data.decode("utf-8", errors="replace")
    return "\n".join(text.rstrip().splitlines()[-lines:])


def last_line(tail: str) -> str:
    """The last non-blank line of ``tail``, stripped ('' if there is none)."""
    for line in reversed(tail.splitlines()):
        if line.strip():
            return line.strip()
    return ""
