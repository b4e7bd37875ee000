"""Event flow between snapshots: rates per stream and the backlog between servers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ska_tango_event_monitor.core.diff import ServerDiff
from ska_tango_event_monitor.core.model import EventSystemState, Publisher
from ska_tango_event_monitor.core.streams import stream_key


@dataclass(frozen=True)
class ServerView:
    """One server's good reply at this snapshot, with the one before it."""

    admin: str
    state: EventSystemState
    previous: EventSystemState | None = None
    elapsed_s: float | None = None  # since the previous good reply
    diff: ServerDiff | None = None  # from `previous` (everything new without one)


class StreamRate(NamedTuple):  # named tuples: thousands are made per poll
    server: str  # admin device
    name: str  # publisher stream or subscriber topic, as in the reply
    per_second: float


class Backlog(NamedTuple):
    """Events a publisher pushed that a subscriber has not received yet."""

    subscriber: str  # admin device
    topic: str
    publisher: str  # admin device
    stream: str
    last_pushed: int
    last_received: int

    @property
    def events(self) -> int:
        return self.last_pushed - self.last_received


# named tuples made without their Python-level __new__: thousands per poll
_new = tuple.__new__

# stream key -> (admin device, publisher): who publishes each stream, once per snapshot
PublisherIndex = dict[str, tuple[str, Publisher]]


def pushed_rates(view: ServerView) -> list[StreamRate]:
    """Events pushed per second on each stream that moved forward (from the diff's counts:
    `CounterChange.events`, a counter that went back counts from 0)."""
    if view.previous is None or not view.elapsed_s or view.diff is None:
        return []
    admin, elapsed = view.admin, view.elapsed_s
    rates = []
    for stream, (before, after) in view.diff.published:
        events = after if after < before else after - before
        if events > 0:
            rates.append(_new(StreamRate, (admin, stream, events / elapsed)))
    return rates


def processed_rates(view: ServerView) -> list[StreamRate]:
    """Events processed per second on each subscribed topic that moved forward."""
    if view.previous is None or not view.elapsed_s or view.diff is None:
        return []
    admin, elapsed = view.admin, view.elapsed_s
    rates = []
    for change in view.diff.changed_subscriptions:
        counter = change[1]  # events processed
        if counter is not None:
            before, after = counter
            events = after if after < before else after - before
            if events > 0:
                rates.append(_new(StreamRate, (admin, change[0], events / elapsed)))
    return rates


def publisher_index(views: Sequence[ServerView]) -> PublisherIndex:
    """Each published stream's key, with its server and publisher."""
    return {
        stream_key(stream): (view.admin, publisher)
        for view in views
        for stream, publisher in view.state.publishers.items()
    }


def backlogs(views: Sequence[ServerView], index: PublisherIndex | None = None) -> list[Backlog]:
    """Every subscription joined to its publisher, when both servers are monitored.

    A subscription that has received nothing yet (server counter 0) is left out: the
    publisher's counter is shared by all its subscribers and may have been moving long
    before this one subscribed.
    """
    publishers = publisher_index(views) if index is None else index
    found = []
    for view in views:
        admin, subscriptions = view.admin, view.state.subscriptions
        for topic in sorted(subscriptions):
            match = publishers.get(stream_key(topic))
            received = subscriptions[topic][3]  # the server counter
            if match is None or received == 0:
                continue
            publisher_admin, (stream, next_counter) = match
            flow = (admin, topic, publisher_admin, stream, next_counter - 1, received)
            found.append(_new(Backlog, flow))
    return found
