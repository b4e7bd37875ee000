"""What the hw server's log says about the last scan."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_SCAN_COMPLETE = re.compile(r"Scan complete in ([0-9.]+) s")


def hw_log_scan_lines(log: Path) -> list[str]:
    """The hw server's log lines about the last scan."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    starts = [i for i, line in enumerate(lines) if "Starting scan" in line]
    if not starts:
        return []
    return [
        line.strip()
        for line in lines[starts[-1] :]
        if "Starting scan" in line or "Scan complete" in line
    ]


def scan_complete_seconds(lines: Sequence[str]) -> float | None:
    """How long the scan took, as the hw server logged it (None if not logged)."""
    for line in lines:
        match = _SCAN_COMPLETE.search(line)
        if match:
            return float(match.group(1))
    return None
