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


class PublisherChange(NamedTuple):
    stream: str
    last_pushed: CounterChange


class SubscriptionChange(NamedTuple):
    """Only the counters that moved are set, in the report's order."""

    topic: str
    events_processed: CounterChange | None = None
    last_received: CounterChange | None = None
    callbacks: CounterChange | None = None
    missed_events: CounterChange | None = None
    discarded_events: CounterChange | None = None

    def changes(self) -> list[tuple[str, CounterChange]]:
        return [
            (name, value)
            for name, value in zip(_COUNTER_FIELDS, self[1:], strict=True)
            if value is not None
        ]


_COUNTER_FIELDS = SubscriptionChange._fields[1:]


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


# named tuples made without their Python-level __new__: one call less per counter
_new = tuple.__new__


def diff_states(before: EventSystemState | None, after: EventSystemState) -> ServerDiff:
    """Changes from `before` to `after`; with no `before` everything is new. Entries equal
    to their previous ones are passed over at once (their counters compared as a slice)."""
    before = before or EventSystemState()
    old_pubs, new_pubs = before.publishers, after.publishers
    old_subs, new_subs = before.subscriptions, after.subscriptions
    published: list[PublisherChange] = []
    changed: list[SubscriptionChange] = []
    for stream in sorted(new_pubs.keys() & old_pubs.keys()):
        old, new = old_pubs[stream][1], new_pubs[stream][1]  # next counters
        if old != new:  # the last pushed counter is one less, on both sides
            published.append(
                _new(PublisherChange, (stream, _new(CounterChange, (old - 1, new - 1))))
            )
    for topic in sorted(new_subs.keys() & old_subs.keys()):
        old_sub, new_sub = old_subs[topic], new_subs[topic]
        if old_sub[2:7] != new_sub[2:7]:  # the counters
            changed.append(_subscription_change(old_sub, new_sub))
    return ServerDiff(
        new_publishers=tuple(new_pubs[s] for s in sorted(new_pubs.keys() - old_pubs.keys())),
        published=tuple(published),
        removed_publishers=tuple(old_pubs[s] for s in sorted(old_pubs.keys() - new_pubs.keys())),
        new_subscriptions=tuple(new_subs[t] for t in sorted(new_subs.keys() - old_subs.keys())),
        changed_subscriptions=tuple(changed),
        removed_subscriptions=tuple(
            old_subs[t] for t in sorted(old_subs.keys() - new_subs.keys())
        ),
    )


def _subscription_change(old: Subscription, new: Subscription) -> SubscriptionChange:
    # the report's order: events processed, last received, callbacks, missed, discarded
    _, _, callbacks, counter, events, missed, discarded, _ = old
    _, _, callbacks2, counter2, events2, missed2, discarded2, _ = new
    return _new(
        SubscriptionChange,
        (
            new.topic,
            None if events == events2 else _new(CounterChange, (events, events2)),
            None if counter == counter2 else _new(CounterChange, (counter, counter2)),
            None if callbacks == callbacks2 else _new(CounterChange, (callbacks, callbacks2)),
            None if missed == missed2 else _new(CounterChange, (missed, missed2)),
            None if discarded == discarded2 else _new(CounterChange, (discarded, discarded2)),
        ),
    )
