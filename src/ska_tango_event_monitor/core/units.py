"""Durations as people read them: `812.0 µs`, `300.6 ms`, `6.1 s`, `3 min`, `2.5 h`."""

from __future__ import annotations


def duration(micros: float) -> str:
    """A duration given in microseconds, in the unit that suits it."""
    if micros < 1e3:
        return f"{micros:.1f} µs"
    if micros < 1e6:
        return f"{micros / 1e3:.1f} ms"
    seconds = micros / 1e6
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"
