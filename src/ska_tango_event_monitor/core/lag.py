"""Time lag per stream: when did the publisher push the events a subscriber has not received?

Per publisher stream, the monitor keeps (poll time, last pushed counter) over the window,
both read on its own clock, and finds by interpolation when the oldest event a subscriber
has not received was pushed (kafka-lag-exporter's lag in seconds from an offset history).
No device timestamp is used: there is no clock skew between hosts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import NamedTuple

# (publisher admin device, publisher stream)
StreamId = tuple[str, str]


class Lag(NamedTuple):
    seconds: float
    at_least: bool  # the event is older than the history: it waited at least that long


class PushHistory:
    """Each publisher stream's (poll time, last pushed) over `span_s` seconds.

    At least two points are kept; a counter that went back (a restart) starts it anew:
    the counts before it are another run's.
    """

    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self._points: dict[StreamId, deque[tuple[float, int]]] = {}
        self._publishers: set[str] = set()  # as last kept by `forget`

    def add(self, stream: StreamId, time_s: float, last_pushed: int) -> None:
        points = self._points.get(stream)
        if points is None or (points and last_pushed < points[-1][1]):
            points = self._points[stream] = deque()
        if points and points[-1][0] >= time_s:
            return  # the same stream seen twice in one snapshot
        points.append((time_s, last_pushed))
        while len(points) > 2 and points[1][0] < time_s - self.span_s:
            points.popleft()

    def forget(self, publishers: Iterable[str]) -> None:
        """Keep only the streams of these publishers (the servers still polled)."""
        kept = set(publishers)
        if kept == self._publishers:
            return  # the same servers as at the last snapshot: nothing to drop
        self._publishers = kept
        self._points = {key: p for key, p in self._points.items() if key[0] in kept}

    def points(self, stream: StreamId) -> tuple[tuple[float, int], ...]:
        return tuple(self._points.get(stream, ()))

    def lag(self, stream: StreamId, last_received: int, time_s: float) -> Lag | None:
        """How long the oldest event not received (`last_received` + 1) has waited at
        `time_s`: 0 when nothing is pending; None when the history is too short to say."""
        points = self._points.get(stream)
        if not points:
            return None
        if last_received >= points[-1][1]:
            return Lag(0.0, False)
        pushed_at = pushed_time(points, last_received + 1)
        if pushed_at is None and len(points) < 2:
            return None  # one poll of the publisher: nothing to say how old
        if pushed_at is None:
            return Lag(max(time_s - points[0][0], 0.0), True)
        return Lag(max(time_s - pushed_at, 0.0), False)


def pushed_time(points: Iterable[tuple[float, int]], counter: int) -> float | None:
    """When the publisher's counter reached `counter`, interpolated between the two polls
    around it (None: before the first point, so older than the history)."""
    before: tuple[float, int] | None = None
    for time_s, pushed in points:
        if pushed >= counter:
            if before is None:  # reached by the first poll: pushed then or earlier
                return None
            t0, c0 = before
            return t0 + (time_s - t0) * (counter - c0) / (pushed - c0)
        before = (time_s, pushed)
    return None
