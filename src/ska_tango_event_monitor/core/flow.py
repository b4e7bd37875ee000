"""Event flow between snapshots: rates per stream and the backlog between servers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ska_tango_event_monitor.core.diff import ServerDiff
from ska_tango_event_monitor.core.model import EventSystemState, Publisher
from ska_tango_event_monitor.core.streams import (
    Database,
    database_of,
    database_text,
    is_loopback,
    same_machine,
    stream_key,
)


@dataclass(frozen=True)
class ServerView:
    """One server's good reply at this snapshot, with the one before it."""

    admin: str
    state: EventSystemState
    previous: EventSystemState | None = None
    elapsed_s: float | None = None  # since the previous good reply
    diff: ServerDiff | None = None  # from `previous` (everything new without one)
    tango_host: str | None = None  # its Tango database as the monitor polls it (None: unknown)


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


class Candidate(NamedTuple):
    """One of several servers publishing a stream key, and its database in every spelling
    known: its admin device's and its poll's (the monitor's), its streams' (its own)."""

    admin: str
    publisher: Publisher
    databases: frozenset[Database]


class PublisherIndex(dict[str, tuple[str, Publisher]]):
    """Stream key -> (admin device, publisher): who publishes each stream, once per snapshot.

    `clashes` holds the keys that more than one server publishes (two Tango databases with
    the same device names), each with its candidates; `local`, the host names this machine
    goes by in the replies (learnt only then).
    """

    def __init__(
        self,
        entries: dict[str, tuple[str, Publisher]],
        clashes: dict[str, tuple[Candidate, ...]] | None = None,
        local: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(entries)
        self.clashes = clashes or {}
        self.local = local


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
    index = {
        stream_key(stream): (view.admin, publisher)
        for view in views
        for stream, publisher in view.state.publishers.items()
    }
    if len(index) == sum(len(view.state.publishers) for view in views):
        return PublisherIndex(index)  # no key published twice: the usual case, kept fast
    return _with_clashes(index, views)


def _with_clashes(
    index: dict[str, tuple[str, Publisher]], views: Sequence[ServerView]
) -> PublisherIndex:
    grouped: dict[str, dict[str, Candidate]] = {}
    for view in views:
        for stream, publisher in view.state.publishers.items():
            databases = _databases(view, stream)
            candidate = Candidate(view.admin, publisher, databases)
            grouped.setdefault(stream_key(stream), {})[view.admin] = candidate
    clashes = {key: tuple(c.values()) for key, c in grouped.items() if len(c) > 1}
    return PublisherIndex(index, clashes, _local_names(views))


def _databases(view: ServerView, stream: str) -> frozenset[Database]:
    spellings = (database_of(view.admin), database_of(stream))
    polled = None if view.tango_host is None else database_text(view.tango_host)
    return frozenset(d for d in (*spellings, polled) if d is not None)


def _local_names(views: Sequence[ServerView]) -> frozenset[str]:
    """Names a server reached over loopback gives its own database (the publisher's
    TANGO_HOST in its stream names, `tango://ctl01:10000/` where the monitor polled
    127.0.0.1:10000): this machine's names, learnt without a name service."""
    found: set[str] = set()
    for view in views:
        first = next(iter(view.state.publishers), "")
        databases = _databases(view, first)
        for host, port in databases:
            if is_loopback(host):
                found.update(other for other, at in databases if at == port)
    return frozenset(found)


def _of_database(
    topic: str, candidates: Sequence[Candidate], local: frozenset[str]
) -> tuple[str, Publisher] | None:
    """The candidate whose database is the topic's: the same spelling, else the same port
    on the same machine. None when that does not tell one: joining a subscription to
    another control system's publisher of the same name would report its counters as the
    subscriber's backlog, a wrong lag and verdict; unjoined, it is only not judged."""
    wanted = database_of(topic)
    if wanted is None:
        return None
    exact = [c for c in candidates if wanted in c.databases]
    if not exact:
        host, port = wanted
        exact = [
            c
            for c in candidates
            if any(at == port and same_machine(name, host, local) for name, at in c.databases)
        ]
    return (exact[0].admin, exact[0].publisher) if len(exact) == 1 else None


def backlogs(views: Sequence[ServerView], index: PublisherIndex | None = None) -> list[Backlog]:
    """Every subscription joined to its publisher, when both servers are monitored.

    A subscription that has received nothing yet (server counter 0) is left out: the
    publisher's counter is shared by all its subscribers and may have been moving long
    before this one subscribed.
    """
    publishers = publisher_index(views) if index is None else index
    clashes = publishers.clashes
    found = []
    for view in views:
        admin, subscriptions = view.admin, view.state.subscriptions
        for topic in sorted(subscriptions):
            key = stream_key(topic)
            match = publishers.get(key)
            if clashes and key in clashes:  # the same name in two databases
                match = _of_database(topic, clashes[key], publishers.local)
            received = subscriptions[topic][3]  # the server counter
            if match is None or received == 0:
                continue
            publisher_admin, (stream, next_counter) = match
            flow = (admin, topic, publisher_admin, stream, next_counter - 1, received)
            found.append(_new(Backlog, flow))
    return found
