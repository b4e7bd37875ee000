"""A verdict per stream over the window, Burrow-like: no thresholds, the lag's course.

Burrow (LinkedIn's Kafka consumer-lag checker) judges a consumer by the offsets and lags of
a sliding window; here a stream is one subscription joined to its publisher (`Backlog`),
seen at each poll with its lag in seconds (`core.lag`). In order:

- not judged: fewer than 3 polls of both sides in the window;
- RESET: a counter went back within the window (a restart or a resubscription);
- STALLED: the subscriber received nothing over its last 3 polls while events were pending
  (or its event thread is blocked); "delayed behind" another stream of the same subscriber
  that advanced meanwhile with events pending: the one event thread was busy with it;
- STOPPED: a periodic stream (its subscriber expects an event every period, caught up or
  not) whose publisher pushed nothing over the last 3 polls after pushing earlier in the
  window; a change or archive stream that is quiet is idle, not stopped. Or the other way
  round: a subscription joined earlier in the window that its subscriber no longer has
  (unsubscribed, its device removed) while the publisher pushed that stream since
  (`core.unsubscribed`);
- OK: nothing pending at the last poll; not judged: pending at fewer than 3 polls in a row;
- FALLING BEHIND: since it last caught up (3 polls at least), the subscriber advanced but
  its lag never shrank and grew overall;
- OK otherwise (events pending, the lag not growing poll after poll).
"""

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from ska_tango_event_monitor.core.flow import Backlog
from ska_tango_event_monitor.core.health_rules import (
    MIN_POLLS,
    StreamKey,
    StreamPoll,
    Topics,
    verdict_of,
    went_back,
)
from ska_tango_event_monitor.core.health_rules import SEVERITY as SEVERITY
from ska_tango_event_monitor.core.health_rules import Verdict as Verdict
from ska_tango_event_monitor.core.lag import PushHistory
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.core.unsubscribed import Gone, Unsubscribed

_new = tuple.__new__  # named tuples made without their Python-level __new__: one per stream


class StreamHealth(NamedTuple):  # a named tuple: one per stream and snapshot
    """One subscription and the publisher stream it receives, at one snapshot."""

    subscriber: str  # admin device
    topic: str  # as the subscriber names it
    publisher: str  # admin device
    stream: str  # as the publisher names it
    lag_s: float | None  # how long its oldest pending event has waited (None: unknown)
    lag_at_least: bool  # that event is older than the history kept
    behind: int  # events pushed, not received yet
    verdict: Verdict | None  # None: not judged yet (`reason` says why)
    reason: str  # the evidence, in numbers
    delayed_behind: str | None = None  # the stream its event thread was busy with
    # False: the subscriber no longer has this subscription (STOPPED; lag_s None, behind 0)
    subscribed: bool = True

    @property
    def label(self) -> str:
        """`foo/bar/hw/position.change`."""
        return stream_key(self.topic)


def lag_text(lag_s: float | None, at_least: bool, behind: int | None = None) -> str:
    """`14.2 s behind (68 events)`, `at least 30.0 s behind`, `caught up`."""
    events = "" if behind is None else f" ({behind} event{'' if behind == 1 else 's'})"
    if lag_s is None:
        return f"lag unknown{events}"
    if lag_s <= 0 and not behind:
        return "caught up"
    return f"{'at least ' if at_least else ''}{lag_s:.1f} s behind{events}"


class HealthJudge:
    """Each stream's polls over the window, and its verdict at each snapshot."""

    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self.history = PushHistory(span_s)
        self._polls: dict[StreamKey, deque[StreamPoll]] = {}
        # a stream's counters that went back: (the poll before each, the reason), oldest
        # first; looked for at each new poll only, not over the whole window again
        self._resets: dict[StreamKey, list[tuple[float, str]]] = {}
        self._unsubscribed = Unsubscribed(span_s)

    def judge(
        self,
        flows: Sequence[Backlog],
        time_s: float,
        blocked: Iterable[str] = (),
        states: Mapping[str, EventSystemState] | None = None,
    ) -> tuple[StreamHealth, ...]:
        """`blocked`: subscribers whose event thread is blocked (`findings.blocked`);
        `states`: the servers that answered at this snapshot (None: subscriptions that went
        are not looked for)."""
        for flow in flows:
            self.history.add((flow.publisher, flow.stream), time_s, flow.last_pushed)
        self.history.forget({flow.publisher for flow in flows})
        polls: dict[StreamKey, deque[StreamPoll]] = {}
        resets: dict[StreamKey, list[tuple[float, str]]] = {}
        lags = {}
        known = 0  # streams of the snapshot before seen again
        oldest = time_s - self.span_s
        for flow in flows:
            key = (flow.subscriber, flow.topic)
            lag = self.history.lag((flow.publisher, flow.stream), flow.last_received, time_s)
            lags[key] = lag
            kept = self._polls.get(key)
            poll = _new(StreamPoll, (time_s, flow[5], flow[4], lag and lag[0], flow))
            if kept is None:
                kept = deque()
            else:
                known += 1
                earlier = self._resets.get(key)
                reset = went_back(kept[-1], poll)
                if reset is not None:
                    earlier = [*(earlier or ()), reset]
                if earlier:
                    resets[key] = earlier
            polls[key] = kept
            kept.append(poll)
            while len(kept) > MIN_POLLS and kept[1].time_s < oldest:
                kept.popleft()
        joined = lags.keys()
        if known < len(self._polls):  # only then did a stream go (the dict difference costs)
            gone = self._polls.keys() - polls.keys()
            self._unsubscribed.add((p.flow, p.time_s) for p in (self._polls[k][-1] for k in gone))
            for key in gone:
                if states is not None and self._unjoinable(key, states, oldest):  # kept
                    polls[key] = self._polls[key]
                    if key in self._resets:
                        resets[key] = self._resets[key]
        self._polls = polls  # any other stream not seen this snapshot starts again
        self._resets = resets
        stuck = set(blocked)
        topics = Topics(polls)
        found = []
        for flow in flows:
            key = (flow.subscriber, flow.topic)
            lag = lags[key]
            reset = None
            if key in resets:  # the first whose poll before it is still in the window
                start = polls[key][0].time_s
                in_window = resets[key] = [r for r in resets[key] if r[0] >= start]
                reset = in_window[0] if in_window else None
            verdict, reason, ahead = verdict_of(flow, polls, stuck, reset, topics)
            found.append(
                _new(
                    StreamHealth,
                    (
                        flow.subscriber,
                        flow.topic,
                        flow.publisher,
                        flow.stream,
                        None if lag is None else round(lag.seconds, 3),
                        lag is not None and lag.at_least,
                        max(flow.events, 0),
                        verdict,
                        reason,
                        ahead,
                        True,  # subscribed
                    ),
                )
            )
        if states is not None:
            found += map(_stopped, self._unsubscribed.judge(time_s, states, joined))
        return tuple(found)

    def _unjoinable(
        self, key: StreamKey, states: Mapping[str, EventSystemState], oldest: float
    ) -> bool:
        """A stream not joined at this snapshot because its subscriber or its publisher did
        not answer, or the publisher has no entry for it (restarted, not subscribed again
        yet), last joined within the window: its polls are kept, not extended, so that a
        publisher back with its counters from 0 reads RESET, not a new stream."""
        last = self._polls[key][-1]
        if last.time_s < oldest:
            return False
        flow = last.flow
        publisher = states.get(flow.publisher)
        return (
            flow.subscriber not in states
            or publisher is None
            or flow.stream not in publisher.publishers
        )


def _stopped(gone: Gone) -> StreamHealth:
    flow, pushed = gone.flow, gone.pushed
    reason = f"no longer subscribed since {gone.since_s:.1f} s while the publisher pushed "
    reason += f"{pushed} event{'' if pushed == 1 else 's'}"
    stream = (flow.subscriber, flow.topic, flow.publisher, flow.stream)
    # no lag and nothing behind: the subscriber waits for nothing any more
    return StreamHealth(*stream, None, False, 0, Verdict.STOPPED, reason, subscribed=False)
