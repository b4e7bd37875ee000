"""Event flow between snapshots: rates per stream and the backlog between servers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ska_tango_event_monitor.core.diff import CounterChange, ServerDiff
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.streams import stream_key


@dataclass(frozen=True)
class ServerView:
    """One server's good reply at this snapshot, with the one before it."""

    admin: str
    state: EventSystemState
    previous: EventSystemState | None = None
    elapsed_s: float | None = None  # since the previous good reply
    diff: ServerDiff | None = None  # from `previous` (everything new without one)


@dataclass(frozen=True)
class StreamRate:
    server: str  # admin device
    name: str  # publisher stream or subscriber topic, as in the reply
    per_second: float
    events: int = field(default=0, metadata={"export": False})  # counted since the poll before


@dataclass(frozen=True)
class Backlog:
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


def pushed_rates(view: ServerView) -> list[StreamRate]:
    """Events pushed per second on each stream that moved forward (from the diff's counts)."""
    diff = view.diff
    changes = () if diff is None else ((c.stream, c.last_pushed) for c in diff.published)
    return _rates(view, changes)


def processed_rates(view: ServerView) -> list[StreamRate]:
    """Events processed per second on each subscribed topic that moved forward."""
    diff = view.diff
    changes = (
        () if diff is None else ((c.topic, c.events_processed) for c in diff.changed_subscriptions)
    )
    return _rates(view, changes)


def _rates(
    view: ServerView, changes: Iterable[tuple[str, CounterChange | None]]
) -> list[StreamRate]:
    if view.previous is None or not view.elapsed_s:
        return []
    return [
        StreamRate(view.admin, name, change.events / view.elapsed_s, change.events)
        for name, change in changes
        if change is not None and change.events > 0
    ]


def backlogs(views: Sequence[ServerView]) -> list[Backlog]:
    """Every subscription joined to its publisher, when both servers are monitored.

    A subscription that has received nothing yet (server counter 0) is left out: the
    publisher's counter is shared by all its subscribers and may have been moving long
    before this one subscribed.
    """
    publishers = {
        stream_key(stream): (view.admin, publisher)
        for view in views
        for stream, publisher in view.state.publishers.items()
    }
    found = []
    for view in views:
        for topic, subscription in sorted(view.state.subscriptions.items()):
            match = publishers.get(stream_key(topic))
            if match is None or subscription.server_counter == 0:
                continue
            admin, publisher = match
            found.append(
                Backlog(
                    subscriber=view.admin,
                    topic=topic,
                    publisher=admin,
                    stream=publisher.stream,
                    last_pushed=publisher.last_pushed,
                    last_received=subscription.server_counter,
                )
            )
    return found
