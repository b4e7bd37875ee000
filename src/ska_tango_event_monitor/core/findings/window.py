"""The last few polls of each server: rules judge over seconds of evidence, not one poll.

A verdict must not depend on the polling period: at 1 s a poll may hold three samples, at
5 s fifty. So samples and counters of the polls within `span_s` seconds are pooled.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice, pairwise

from ska_tango_event_monitor.core.diff import ServerDiff
from ska_tango_event_monitor.core.findings.pooled import PollSamples, poll_samples
from ska_tango_event_monitor.core.model import EventSystemState

DEFAULT_SPAN_S = 30.0
_MIN_GAPS = 3  # fewer gaps between pushes say too little about a stream's pace
# a stream that made this share of its server's pushes owns the median of the server's gaps
_DOMINANT = 0.9


@dataclass(frozen=True)
class WindowPoll:
    """One good reply, at `time_s` seconds of the monitor's clock."""

    time_s: float
    state: EventSystemState
    diff: ServerDiff | None  # from the poll before (None for the first)
    # the subscriber samples cover the whole time since the poll before: perf monitoring was
    # already on then (the first reply after switching it on covers only part of the poll)
    covered: bool
    elapsed_s: float | None  # since the poll before (None for the first)
    # its processed subscriber samples as arrays, read once (None: perf monitoring off)
    samples: PollSamples | None = field(default=None, compare=False, repr=False)
    # events pushed on each stream that moved since the poll before, and their sum
    pushes: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    pushed: int = field(default=0, compare=False, repr=False)


class ServerWindow:
    """The polls of one server within the span (at least the last two are always kept)."""

    def __init__(self, span_s: float = DEFAULT_SPAN_S) -> None:
        self.span_s = span_s
        self.polls: deque[WindowPoll] = deque()

    def add(self, time_s: float, state: EventSystemState, diff: ServerDiff | None) -> None:
        last = self.polls[-1] if self.polls else None
        covered = (
            last is not None
            and last.state.subscriber_columns is not None
            and state.subscriber_columns is not None
        )
        elapsed = None if last is None else time_s - last.time_s
        diff = None if last is None else diff
        pushes = _pushes(diff)
        pushed = sum(n for n in pushes.values() if n > 0)
        self.polls.append(
            WindowPoll(time_s, state, diff, covered, elapsed, poll_samples(state), pushes, pushed)
        )
        while len(self.polls) > 2 and self.polls[1].time_s < time_s - self.span_s:
            self.polls.popleft()

    @property
    def latest(self) -> WindowPoll:
        return self.polls[-1]

    def covered_polls(self) -> Iterator[WindowPoll]:
        """Polls whose samples cover the whole time since the poll before; the oldest poll
        kept is only the window's starting point (its samples are older than the window)."""
        return (poll for poll in islice(self.polls, 1, None) if poll.covered and poll.elapsed_s)

    def covered_samples(self) -> list[PollSamples]:
        """The processed (not discarded) samples of the covered polls, oldest first."""
        return [poll.samples for poll in self.covered_polls() if poll.samples is not None]

    def covered_s(self) -> float:
        return sum(poll.elapsed_s or 0.0 for poll in self.covered_polls())

    def pushed_per_second(self, stream: str) -> float | None:
        """A published stream's pace (None: not known), from facts about that stream only.

        A server's event-gap samples mix all its streams, so they are used only from polls
        in which this stream made nearly all of the server's pushes (its counter says so):
        then they are this stream's gaps. Else its own counter, over the intervals of the
        window in which it moved (a burst is not diluted by the quiet time around it). An
        interval over a restart (counter back) is left out.
        """
        gaps: list[int] = []
        events, seconds = 0, 0.0
        for before, poll in pairwise(self.polls):
            moved = poll.pushes.get(stream, 0)
            if moved <= 0 or not poll.elapsed_s:
                continue
            events, seconds = events + moved, seconds + poll.elapsed_s
            dominant = moved >= _DOMINANT * poll.pushed
            samples = poll.state.publisher_columns
            if dominant and before.state.publisher_columns is not None and samples is not None:
                gaps += [gap for gap in samples.micros_since_last_event if gap is not None]
        if len(gaps) >= _MIN_GAPS:
            return 1e6 / statistics.median(gaps)
        if not seconds:
            return None if not self._seen_twice(stream) else 0.0
        return events / seconds

    def _seen_twice(self, stream: str) -> bool:
        return sum(stream in poll.state.publishers for poll in self.polls) >= 2

    def topics_seen(self) -> list[set[str]]:
        """The subscribed topics of each poll, oldest first."""
        return [set(poll.state.subscriptions) for poll in self.polls]


def _pushes(diff: ServerDiff | None) -> dict[str, int]:
    """Events pushed on each stream that moved between two replies (the diff's counts:
    `CounterChange.events`, unrolled)."""
    if diff is None:
        return {}
    return {
        stream: after if after < before else after - before
        for stream, (before, after) in diff.published
    }
