"""The rules that give one stream its verdict from its polls over the window (see
`core.health` for the verdicts in order): pure functions of the counters and lags kept."""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Sequence
from enum import Enum
from itertools import pairwise
from typing import NamedTuple

from ska_tango_event_monitor.core.flow import Backlog
from ska_tango_event_monitor.core.streams import stream_key

MIN_POLLS = 3  # polls of both sides in the window before a verdict
TOO_FEW_POLLS = f"fewer than {MIN_POLLS} polls of both sides in the window"


class Verdict(Enum):
    OK = "OK"
    FALLING_BEHIND = "FALLING BEHIND"
    STALLED = "STALLED"
    STOPPED = "STOPPED"
    RESET = "RESET"

    def __str__(self) -> str:
        return self.value


# the worst first: the summary keeps a stream's worst verdict of the run
SEVERITY = {
    Verdict.OK: 0,
    Verdict.STOPPED: 1,
    Verdict.RESET: 2,
    Verdict.FALLING_BEHIND: 3,
    Verdict.STALLED: 4,
}


class StreamPoll(NamedTuple):
    time_s: float
    received: int
    pushed: int
    lag_s: float | None
    flow: Backlog


StreamKey = tuple[str, str]  # (subscriber admin device, topic)


JITTER_SHARE = 0.05  # of the time between two polls: a change of lag smaller than that is none


def went_back(before: StreamPoll, after: StreamPoll) -> tuple[float, str] | None:
    """A counter of `after` lower than at `before`: (when `before` was, the reason)."""
    if after.received < before.received:
        return (
            before.time_s,
            f"events received went back from {before.received} to {after.received}",
        )
    if after.pushed < before.pushed:
        return before.time_s, f"events pushed went back from {before.pushed} to {after.pushed}"
    return None


class Topics:
    """Each subscriber's streams, grouped only when a stalled stream asks (`_busy_with`)."""

    def __init__(self, polls: dict[StreamKey, deque[StreamPoll]]) -> None:
        self.polls = polls
        self._of: dict[str, list[StreamKey]] | None = None

    def of(self, subscriber: str) -> list[StreamKey]:
        if self._of is None:
            self._of = {}
            for key in self.polls:
                self._of.setdefault(key[0], []).append(key)
        return self._of.get(subscriber, [])


def verdict_of(
    flow: Backlog,
    polls: dict[StreamKey, deque[StreamPoll]],
    blocked: set[str],
    reset: tuple[float, str] | None,
    topics: Topics,
) -> tuple[Verdict | None, str, str | None]:
    """`reset`: the latest counter that went back within the window (`went_back`)."""
    mine = polls[(flow.subscriber, flow.topic)]
    pending = flow.events > 0
    if pending and flow.subscriber in blocked:
        return Verdict.STALLED, "its event thread is blocked", None
    if len(mine) < MIN_POLLS:
        return None, TOO_FEW_POLLS, None
    if reset is not None:
        return Verdict.RESET, reset[1], None
    last = [mine[-3], mine[-2], mine[-1]]  # MIN_POLLS
    span = last[-1].time_s - last[0].time_s
    # (the last poll is this flow's: nothing pending now, nothing stalled)
    if pending and all(p.received == last[0].received and p.pushed > p.received for p in last):
        ahead = _busy_with(flow, topics, last[0].time_s)
        reason = f"nothing received for {span:.1f} s while {flow.events} event(s) were pending"
        if ahead is not None:
            reason += f"; delayed behind {stream_key(ahead)}"
        return Verdict.STALLED, reason, None if ahead is None else stream_key(ahead)
    # a periodic stream's subscriber expects an event every period, caught up or not
    if _periodic(flow.stream) and _quiet(mine, last):
        reason = f"periodic stream: nothing pushed for {span:.1f} s, after pushing earlier"
        return Verdict.STOPPED, reason, None
    if flow.events <= 0:
        return Verdict.OK, "caught up", None
    run = _since_caught_up(mine)
    if len(run) < MIN_POLLS:
        return None, f"events pending at {len(run)} poll(s) in a row, {MIN_POLLS} needed", None
    # a lag not known yet (a publisher's first poll) leaves that poll out, not the run
    timed = [(p.time_s, p.lag_s) for p in run if p.lag_s is not None]
    known = [lag for _, lag in timed]
    if len(known) < MIN_POLLS:  # not an all-clear either: too few lags to tell a trend
        return None, f"lag known at {len(known)} poll(s) of its backlog, {MIN_POLLS} needed", None
    if run[-1].received > run[0].received:
        # a lag "shrinks" only by more than the poll times' jitter (a few ms): 5 % of the
        # polling interval, so a plateau measured 3.502 s then 3.500 s still never shrank
        steady = all(b >= a - JITTER_SHARE * (t2 - t1) for (t1, a), (t2, b) in pairwise(timed))
        if steady and known[-1] > known[0] + JITTER_SHARE * (timed[-1][0] - timed[0][0]):
            took = run[-1].time_s - run[0].time_s
            first, latest = round(known[0], 3), round(known[-1], 3)  # as StreamHealth.lag_s
            return (
                Verdict.FALLING_BEHIND,
                f"lag grew from {first:.1f} s to {latest:.1f} s in {took:.1f} s while "
                f"{run[-1].received - run[0].received} events were received",
                None,
            )
    return Verdict.OK, f"{flow.events} event(s) pending, the lag not growing", None


@functools.lru_cache(maxsize=65536)  # the same streams every poll
def _periodic(stream: str) -> bool:
    return stream.lower().endswith(".periodic")


def _quiet(mine: deque[StreamPoll], last: list[StreamPoll]) -> bool:
    """Nothing pushed over the last polls, after pushing earlier in the window."""
    return all(p.pushed == last[0].pushed for p in last) and mine[0].pushed < last[0].pushed


def _since_caught_up(polls: Sequence[StreamPoll]) -> list[StreamPoll]:
    """The polls since the last one at which nothing was pending."""
    start = len(polls)
    while start > 0 and polls[start - 1].pushed > polls[start - 1].received:
        start -= 1
    return [polls[i] for i in range(start, len(polls))]


def _busy_with(flow: Backlog, topics: Topics, since_s: float) -> str | None:
    """Another topic of the same subscriber that advanced since `since_s` with events
    pending all along, the one most behind: what its one event thread was busy with. It
    may have caught up at the last poll: the late event was queued behind it until then."""
    busy: list[tuple[int, str]] = []
    for key in topics.of(flow.subscriber):
        topic, others = key[1], topics.polls[key]
        if topic == flow.topic:
            continue
        recent = [p for p in others if p.time_s >= since_s]
        if (
            len(recent) >= 2
            and recent[-1].received > recent[0].received
            and all(p.pushed > p.received for p in recent[:-1])
        ):
            busy.append((recent[-1].pushed - recent[-1].received, topic))
    return max(busy)[1] if busy else None
