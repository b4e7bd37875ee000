"""What the tutorial command prints: lines on stdout, one-line errors on stderr."""

from __future__ import annotations

import sys

PROG = "ska-tango-event-monitor-tutorial"


def say(line: str = "") -> None:
    """Print a line on stdout at once (a user follows the story live)."""
    print(line, flush=True)


def note(line: str = "") -> None:
    """A line for the person at the terminal, on stderr, so that stdout stays for shells
    (`eval "$(ska-tango-event-monitor-tutorial up)"`)."""
    print(line, file=sys.stderr, flush=True)


def say_error(message: str) -> None:
    """Print ``message`` as one line on stderr, after the command's name."""
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
