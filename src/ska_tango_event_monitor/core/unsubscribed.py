"""Subscriptions that went: joined to their publisher earlier in the window, no longer had by
a subscriber that still answers, while the publisher keeps pushing the stream (issue 14's
STOPPED "the other way round": the subscriber unsubscribed, or its device was removed).

Not a false alarm for a subscriber that did not answer (its subscriptions are then unknown,
not gone), one that still has the stream under another name or as not connected (a
resubscription; cppTango keeps retrying what it could not connect, and `not connected` says
so), or a publisher that pushed nothing since (nothing is missed) or did not answer: those
say nothing at this poll and are kept until the window has passed since the subscription
was last seen; so is one reported, then it is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from ska_tango_event_monitor.core.flow import Backlog
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.streams import stream_key

StreamKey = tuple[str, str]  # (subscriber admin device, topic)


class Gone(NamedTuple):
    flow: Backlog  # as last joined
    since_s: float  # since the poll it was last joined at (the monitor's clock)
    pushed: int  # events the publisher pushed on the stream since


class Unsubscribed:
    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self._last_seen: dict[StreamKey, tuple[Backlog, float]] = {}

    def add(self, last_joined: Iterable[tuple[Backlog, float]]) -> None:
        """Streams joined at the poll before and not at this one: each flow as last joined,
        and that poll's time."""
        self._last_seen.update(((f.subscriber, f.topic), (f, t)) for f, t in last_joined)

    def judge(
        self, time_s: float, states: Mapping[str, EventSystemState], joined: Iterable[StreamKey]
    ) -> list[Gone]:
        """`states`: the servers that answered at `time_s`; `joined`: the streams joined."""
        if not self._last_seen:
            return []
        for key in joined:  # joined again: subscribed after all
            self._last_seen.pop(key, None)
        found = []
        for key, (flow, seen_s) in list(self._last_seen.items()):
            subscriber, publisher = states.get(flow.subscriber), states.get(flow.publisher)
            if time_s - seen_s > self.span_s or (subscriber and _still_wanted(subscriber, flow)):
                del self._last_seen[key]
                continue
            entry = None if publisher is None else publisher.publishers.get(flow.stream)
            if subscriber is None or entry is None:
                continue  # a side unknown at this poll
            now, then = entry.last_pushed, flow.last_pushed
            pushed = now if now < then else now - then  # a publisher restart counts from 0
            if pushed > 0:
                found.append(Gone(flow, time_s - seen_s, pushed))
        return found


def _still_wanted(state: EventSystemState, flow: Backlog) -> bool:
    """Whether the subscriber still has the stream: subscribed (under any spelling of its
    name), or not connected."""
    label = stream_key(flow.topic)
    if any(stream_key(topic) == label for topic in state.subscriptions):
        return True
    return any(
        stream_key(f"{e.device}/{e.attribute}.{e.event_type}") == label
        for e in state.not_connected
    )
