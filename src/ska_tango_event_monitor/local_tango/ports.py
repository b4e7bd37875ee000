"""TCP ports on the loopback interface."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

from ska_tango_event_monitor.local_tango.logs import log_tail

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_was_taken(log_path: Path) -> bool:
    """True if the log says the process could not bind its port (someone else took it)."""
    text = log_tail(log_path, 40).lower()
    return "address in use" in text or os.strerror(errno.EADDRINUSE).lower() in text
