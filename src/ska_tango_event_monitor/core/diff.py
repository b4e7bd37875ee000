"""What changed in one server's event system between two snapshots."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

from ska_tango_event_monitor.core.model import EventSystemState, Publisher, Subscription


class CounterChange(NamedTuple):  # a named tuple: thousands are made per poll
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def went_back(self) -> bool:
        """A counter that only grows went down: the publishing process restarted."""
        return self.after < self.before

    @property
    def events(self) -> int:
        """Events counted between the two polls. A counter that went back started again
        from 0 when its process restarted (cppTango's counters do): the events since are its
        new value. Every rate and finding counts events with this."""
        return self.after if self.went_back else self.after - self.before


def counter_change(before: int, after: int) -> CounterChange | None:
    return None if before == after else CounterChange(before, after)


@dataclass(frozen=True)
class PublisherChange:
    stream: str
    last_pushed: CounterChange


@dataclass(frozen=True)
class SubscriptionChange:
    """Only the counters that moved are set, in the report's order."""

    topic: str
    events_processed: CounterChange | None = None
    last_received: CounterChange | None = None
    callbacks: CounterChange | None = None
    missed_events: CounterChange | None = None
    discarded_events: CounterChange | None = None

    def changes(self) -> list[tuple[str, CounterChange]]:
        return [
            (name, value) for name in _COUNTER_FIELDS if (value := getattr(self, name)) is not None
        ]


_COUNTER_FIELDS = tuple(f.name for f in fields(SubscriptionChange) if f.name != "topic")


@dataclass(frozen=True)
class ServerDiff:
    new_publishers: tuple[Publisher, ...] = ()
    published: tuple[PublisherChange, ...] = ()
    removed_publishers: tuple[Publisher, ...] = ()
    new_subscriptions: tuple[Subscription, ...] = ()
    changed_subscriptions: tuple[SubscriptionChange, ...] = ()
    removed_subscriptions: tuple[Subscription, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, field.name) for field in fields(self))


def diff_states(before: EventSystemState | None, after: EventSystemState) -> ServerDiff:
    """Changes from `before` to `after`; with no `before` everything is new."""
    before = before or EventSystemState()
    old_pubs, new_pubs = before.publishers, after.publishers
    old_subs, new_subs = before.subscriptions, after.subscriptions
    return ServerDiff(
        new_publishers=tuple(new_pubs[s] for s in sorted(new_pubs.keys() - old_pubs.keys())),
        published=tuple(
            PublisherChange(stream, counter)
            for stream in sorted(new_pubs.keys() & old_pubs.keys())
            if (counter := _publisher_change(old_pubs[stream], new_pubs[stream]))
        ),
        removed_publishers=tuple(old_pubs[s] for s in sorted(old_pubs.keys() - new_pubs.keys())),
        new_subscriptions=tuple(new_subs[t] for t in sorted(new_subs.keys() - old_subs.keys())),
        changed_subscriptions=tuple(
            change
            for topic in sorted(new_subs.keys() & old_subs.keys())
            if (change := _subscription_change(old_subs[topic], new_subs[topic])).changes()
        ),
        removed_subscriptions=tuple(
            old_subs[t] for t in sorted(old_subs.keys() - new_subs.keys())
        ),
    )


def _publisher_change(old: Publisher, new: Publisher) -> CounterChange | None:
    return counter_change(old.last_pushed, new.last_pushed)


def _subscription_change(old: Subscription, new: Subscription) -> SubscriptionChange:
    return SubscriptionChange(
        topic=new.topic,
        events_processed=counter_change(old.event_count, new.event_count),
        last_received=counter_change(old.server_counter, new.server_counter),
        callbacks=counter_change(old.callback_count, new.callback_count),
        missed_events=counter_change(old.missed_event_count, new.missed_event_count),
        discarded_events=counter_change(old.discarded_event_count, new.discarded_event_count),
    )
