"""Durations as people read them: `812.0 µs`, `300.6 ms`, `6.1 s`."""

from __future__ import annotations


def duration(micros: float) -> str:
    """A duration given in microseconds, in the unit that suits it, one decimal."""
    if micros < 1e3:
        return f"{micros:.1f} µs"
    return f"{micros / 1e3:.1f} ms" if micros < 1e6 else f"{micros / 1e6:.1f} s"
