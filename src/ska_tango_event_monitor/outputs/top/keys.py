"""Keys from the terminal, one at a time, without waiting for Enter.

The terminal is put in cbreak mode (no echo, no line editing; Ctrl-C still interrupts) and
restored on exit. Without a terminal on stdin there are no keys: reading just waits.
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import time
import tty
from typing import Any, TextIO

# what a terminal sends for the keys `--top` knows (xterm, in normal and application mode)
_SEQUENCES = {
    "\x1b[A": "up",
    "\x1b[B": "down",
    "\x1b[C": "right",
    "\x1b[D": "left",
    "\x1bOA": "up",
    "\x1bOB": "down",
    "\x1bOC": "right",
    "\x1bOD": "left",
}
_SINGLE = {
    "\r": "enter",
    "\n": "enter",
    "\x7f": "backspace",
    "\x08": "backspace",
    "\x1b": "escape",
}


def decode(text: str) -> list[str]:
    """Key names in what the terminal sent: `q`, ` `, `left`, `enter`, `escape`, ...; an
    escape sequence not listed here is dropped whole, not read as letters."""
    keys: list[str] = []
    position = 0
    while position < len(text):
        sequence = next((s for s in _SEQUENCES if text.startswith(s, position)), None)
        if sequence is not None:
            keys.append(_SEQUENCES[sequence])
            position += len(sequence)
        elif text.startswith("\x1b[", position) or text.startswith("\x1bO", position):
            position = _after_sequence(text, position)
        else:
            keys.append(_SINGLE.get(text[position], text[position]))
            position += 1
    return keys


def _after_sequence(text: str, position: int) -> int:
    """Past an escape sequence: its final byte is in @..~ (ECMA-48)."""
    end = position + 2
    while end < len(text) and not "@" <= text[end] <= "~":
        end += 1
    return end + 1


class KeyReader:
    """Reads keys from `stdin` while in use (`with`), when it is a terminal."""

    def __init__(self, stdin: TextIO) -> None:
        self._fd: int | None = None
        with contextlib.suppress(AttributeError, OSError, ValueError):
            if stdin.isatty():
                self._fd = stdin.fileno()
        self._saved: list[Any] | None = None  # termios attributes, as tcgetattr gives them

    def __enter__(self) -> KeyReader:
        if self._fd is not None:
            self._saved = termios.tcgetattr(self._fd)
            tty.setcbreak(self._fd)
        return self

    def __exit__(self, *_: object) -> None:
        if self._fd is not None and self._saved is not None:
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def read(self, timeout: float) -> list[str]:
        """The keys pressed within `timeout` seconds (returns at the first ones)."""
        if self._fd is None:
            time.sleep(max(timeout, 0.0))
            return []
        ready, _, _ = select.select([self._fd], [], [], max(timeout, 0.0))
        if not ready:
            return []
        data = os.read(self._fd, 1024)
        if not data:  # the terminal hung up: no more keys
            self._fd = None
        return decode(data.decode("utf-8", errors="replace"))
