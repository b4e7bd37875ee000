"""What changed between two snapshots of one server."""

from __future__ import annotations

from types import MappingProxyType

from ska_tango_event_monitor.core.diff import (
    CounterChange,
    PublisherChange,
    ServerDiff,
    SubscriptionChange,
    counter_change,
    diff_states,
)
from ska_tango_event_monitor.core.model import EventSystemState, Publisher, Subscription


def state(
    publishers: dict[str, int] | None = None, subscriptions: list[Subscription] | None = None
) -> EventSystemState:
    return EventSystemState(
        publishers=MappingProxyType(
            {stream: Publisher(stream, n) for stream, n in (publishers or {}).items()}
        ),
        subscriptions=MappingProxyType({s.topic: s for s in subscriptions or []}),
    )


def sub(
    topic: str,
    events: int = 0,
    received: int = 0,
    callbacks: int = 1,
    missed: int = 0,
    discarded: int = 0,
) -> Subscription:
    return Subscription(
        topic=topic,
        channel_name="dserver/a/b",
        callback_count=callbacks,
        server_counter=received,
        event_count=events,
        missed_event_count=missed,
        discarded_event_count=discarded,
    )


def test_first_snapshot_everything_is_new_and_sorted() -> None:
    after = state(
        {"z/z/z/b.change": 4, "a/a/a/x.change": 1, "m/m/m/q.archive": 2},
        [sub("z/z/z/b.idl5_change", 3, 3), sub("a/a/a/x.idl5_change")],
    )
    diff = diff_states(None, after)

    assert [p.stream for p in diff.new_publishers] == [
        "a/a/a/x.change",
        "m/m/m/q.archive",
        "z/z/z/b.change",
    ]
    assert diff.new_publishers[2] == Publisher("z/z/z/b.change", 4)
    assert [s.topic for s in diff.new_subscriptions] == [
        "a/a/a/x.idl5_change",
        "z/z/z/b.idl5_change",
    ]
    assert diff.new_subscriptions[1].event_count == 3
    assert diff.published == diff.removed_publishers == ()
    assert diff.changed_subscriptions == diff.removed_subscriptions == ()
    assert not diff.is_empty


def test_first_snapshot_of_an_idle_server_is_empty() -> None:
    assert diff_states(None, EventSystemState()).is_empty
    assert diff_states(None, EventSystemState()) == ServerDiff()


def test_publisher_counters_use_last_pushed() -> None:
    before = state({"a.change": 1, "b.change": 5, "c.change": 7})
    after = state({"a.change": 4, "b.change": 5, "c.change": 9})
    diff = diff_states(before, after)

    # the reply gives the NEXT counter: last pushed is one less
    assert diff.published == (
        PublisherChange("a.change", CounterChange(0, 3)),
        PublisherChange("c.change", CounterChange(6, 8)),
    )
    assert diff.published[0].last_pushed.delta == 3
    assert diff.new_publishers == diff.removed_publishers == ()


def test_unchanged_snapshot_gives_an_empty_diff() -> None:
    snapshot = state({"a.change": 3}, [sub("a.idl5_change", 2, 2, missed=1, discarded=1)])
    diff = diff_states(snapshot, snapshot)
    assert diff.is_empty
    assert diff == ServerDiff()


def test_removed_publishers_and_subscriptions() -> None:
    before = state(
        {"a.change": 3, "b.change": 2, "c.change": 1},
        [sub("y.idl5_change", 5, 5), sub("x.idl5_change", 1, 1), sub("k.idl5_change")],
    )
    after = state({"b.change": 2}, [sub("k.idl5_change")])
    diff = diff_states(before, after)

    assert diff.removed_publishers == (Publisher("a.change", 3), Publisher("c.change", 1))
    assert [s.topic for s in diff.removed_subscriptions] == ["x.idl5_change", "y.idl5_change"]
    assert diff.removed_subscriptions[1].event_count == 5  # the last known state
    assert diff.published == diff.changed_subscriptions == ()
    assert diff.new_publishers == diff.new_subscriptions == ()
    assert not diff.is_empty


def test_new_entries_next_to_existing_ones() -> None:
    before = state({"a.change": 2}, [sub("a.idl5_change")])
    after = state({"a.change": 2, "b.change": 1}, [sub("a.idl5_change"), sub("b.idl5_change")])
    diff = diff_states(before, after)
    assert diff.new_publishers == (Publisher("b.change", 1),)
    assert [s.topic for s in diff.new_subscriptions] == ["b.idl5_change"]
    assert diff.published == diff.changed_subscriptions == ()


def test_every_subscription_counter_is_reported_only_when_it_moved() -> None:
    base = {"events": 10, "received": 10, "callbacks": 1, "missed": 0, "discarded": 0}
    fields = {
        "events": "events_processed",
        "received": "last_received",
        "callbacks": "callbacks",
        "missed": "missed_events",
        "discarded": "discarded_events",
    }
    for counter, field in fields.items():
        moved = dict(base, **{counter: base[counter] + 2})
        diff = diff_states(
            state(subscriptions=[sub("t", **base)]), state(subscriptions=[sub("t", **moved)])
        )
        [change] = diff.changed_subscriptions
        assert change.changes() == [(field, CounterChange(base[counter], base[counter] + 2))]
        assert getattr(change, field) == CounterChange(base[counter], base[counter] + 2)
        others = set(fields.values()) - {field}
        assert all(getattr(change, other) is None for other in others)


def test_changes_are_listed_in_report_order() -> None:
    diff = diff_states(
        state(subscriptions=[sub("t", 1, 1, callbacks=1, missed=0, discarded=0)]),
        state(subscriptions=[sub("t", 5, 9, callbacks=2, missed=1, discarded=3)]),
    )
    [change] = diff.changed_subscriptions
    assert change.topic == "t"
    assert [name for name, _ in change.changes()] == [
        "events_processed",
        "last_received",
        "callbacks",
        "missed_events",
        "discarded_events",
    ]
    assert [c.delta for _, c in change.changes()] == [4, 8, 1, 1, 3]


def test_only_moved_subscriptions_are_listed_sorted() -> None:
    before = state(subscriptions=[sub("c", 1, 1), sub("b", 1, 1), sub("a", 1, 1)])
    after = state(subscriptions=[sub("c", 2, 2), sub("b", 1, 1), sub("a", 3, 3)])
    diff = diff_states(before, after)
    assert [c.topic for c in diff.changed_subscriptions] == ["a", "c"]


def test_counter_reset_went_back() -> None:
    # the publishing server restarted: counters start again at 1
    before = state({"a.change": 27}, [sub("a.idl5_change", events=26, received=26)])
    after = state({"a.change": 2}, [sub("a.idl5_change", events=27, received=1, discarded=1)])
    diff = diff_states(before, after)

    [published] = diff.published
    assert published.last_pushed == CounterChange(26, 1)
    assert published.last_pushed.went_back
    assert published.last_pushed.delta == -25
    [change] = diff.changed_subscriptions
    assert change.last_received is not None and change.last_received.went_back
    assert change.events_processed is not None and not change.events_processed.went_back
    assert change.discarded_events == CounterChange(0, 1)


def test_counter_change() -> None:
    assert counter_change(3, 3) is None
    assert counter_change(3, 5) == CounterChange(3, 5)
    assert not CounterChange(3, 5).went_back
    assert CounterChange(5, 3).went_back
    assert CounterChange(5, 3).delta == -2


def test_server_diff_is_empty() -> None:
    assert ServerDiff().is_empty
    publisher = Publisher("a", 1)
    subscription = sub("t")
    for field, value in [
        ("new_publishers", (publisher,)),
        ("published", (PublisherChange("a", CounterChange(0, 1)),)),
        ("removed_publishers", (publisher,)),
        ("new_subscriptions", (subscription,)),
        ("changed_subscriptions", (SubscriptionChange("t", callbacks=CounterChange(1, 2)),)),
        ("removed_subscriptions", (subscription,)),
    ]:
        assert not ServerDiff(**{field: value}).is_empty, field


def test_subscription_change_without_moves_has_no_changes() -> None:
    assert SubscriptionChange("t").changes() == []
