"""The lines of the text report's sections on what changed at one server (publishers,
subscriptions, event rates): one per counter and name, names right-aligned in their section.

These are most of a report's lines (a few per stream and poll), so each line is one format:
no intermediate entries, the shortened name looked up once per line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ska_tango_event_monitor.core.diff import CounterChange, PublisherChange, SubscriptionChange
from ska_tango_event_monitor.core.flow import StreamRate
from ska_tango_event_monitor.core.model import Publisher, Subscription
from ska_tango_event_monitor.core.names import short_name

NAME_MARGIN = 8

_SUBSCRIPTION_CHANGE_LABELS = {
    "events_processed": "events processed",
    "last_received": "last received server counter",
    "callbacks": "callbacks",
    "missed_events": "missed events detected",
    "discarded_events": "events discarded",
}
# in the order of SubscriptionChange's counters; server counters only grow while the
# publishing process lives, so only they can be "reset"
_LABELS = tuple(_SUBSCRIPTION_CHANGE_LABELS.values())
_IS_SERVER_COUNTER = tuple(name == "last_received" for name in _SUBSCRIPTION_CHANGE_LABELS)
_PUSHED = "last pushed server counter"
_RESET = "(reset: the publisher restarted)"
_CHANGE = "%*s: %d -> %d (%+d) %s"  # a name right-aligned, a counter's change, its label
# events processed and the last received counter moved: two lines (joined by the report)
_FLOWED = f"%*s: %d -> %d (%+d) {_LABELS[0]}\n%*s: %d -> %d (%+d) {_LABELS[1]}"


def _counts(change: CounterChange) -> tuple[int, int, int]:
    before, after = change
    return before, after, after - before


# An entry is a name and the texts shown after it, one line each (the rarer sections).
Entry = tuple[str, Sequence[str]]


def new_publishers(publishers: Sequence[Publisher]) -> list[str]:
    return _entry_lines(map(_new_publisher, publishers))


def removed_publishers(publishers: Sequence[Publisher]) -> list[str]:
    return _entry_lines(map(_removed_publisher, publishers))


def new_subscriptions(subscriptions: Sequence[Subscription]) -> list[str]:
    return _entry_lines(map(_new_subscription, subscriptions))


def removed_subscriptions(subscriptions: Sequence[Subscription]) -> list[str]:
    return _entry_lines(map(_removed_subscription, subscriptions))


def rates(pushed: Sequence[StreamRate], processed: Sequence[StreamRate]) -> list[str]:
    """Events per second pushed, then processed."""
    if not pushed and not processed:
        return []
    rates = [(short_name(r.name), r.per_second, "pushed") for r in pushed]
    rates += [(short_name(r.name), r.per_second, "processed") for r in processed]
    width = NAME_MARGIN + max(len(name) for name, _, _ in rates)
    # %-formatting: the same text as f"{name:>{width}}: {per_second:.1f}", in half the time
    return [
        "%*s: %.1f events/s %s" % (width, name, per_second, verb)  # noqa: UP031
        for name, per_second, verb in rates
    ]


def change_text(change: CounterChange, label: str, is_server_counter: bool = False) -> str:
    """`2 -> 3 (+1) label`; a server counter that went back is explained, not subtracted."""
    before, after = change
    if is_server_counter and after < before:
        return f"{before} -> {after} {_RESET} {label}"
    return f"{before} -> {after} ({after - before:+d}) {label}"


def published(changes: Sequence[PublisherChange]) -> list[str]:
    if not changes:
        return []
    names = [short_name(change.stream) for change in changes]
    width = NAME_MARGIN + max(map(len, names))
    lines = []
    for name, (_, (before, after)) in zip(names, changes, strict=True):
        if after < before:
            lines.append(f"{name:>{width}}: {before} -> {after} {_RESET} {_PUSHED}")
        else:  # as f"{name:>{width}}: {before} -> {after} ({after - before:+d})", faster
            lines.append(_CHANGE % (width, name, before, after, after - before, _PUSHED))
    return lines


def changed_subscriptions(changes: Sequence[SubscriptionChange]) -> list[str]:
    if not changes:
        return []
    names = [short_name(change.topic) for change in changes]
    width = NAME_MARGIN + max(map(len, names))
    lines = []
    for name, change in zip(names, changes, strict=True):
        _, processed, received, callbacks, missed, discarded = change
        if (
            callbacks is None
            and missed is None
            and discarded is None
            and processed is not None
            and received is not None
            and received[1] >= received[0]
        ):  # the usual change: events came in; both lines in one format
            lines.append(
                _FLOWED % (width, name, *_counts(processed), width, "", *_counts(received))
            )
            continue
        shown = name
        for counter, label, is_server in zip(change[1:], _LABELS, _IS_SERVER_COUNTER, strict=True):
            if counter is None:
                continue
            before, after = counter
            if is_server and after < before:
                lines.append(f"{shown:>{width}}: {before} -> {after} {_RESET} {label}")
            else:
                lines.append(_CHANGE % (width, shown, before, after, after - before, label))
            shown = ""
    return lines


def _entry_lines(entries: Iterable[Entry]) -> list[str]:
    entries = list(entries)
    if not entries:
        return []
    width = NAME_MARGIN + max(len(name) for name, _ in entries)
    lines = []
    for name, texts in entries:
        lines += [f"{name if i == 0 else '':>{width}}: {t}" for i, t in enumerate(texts)]
    return lines


def _new_publisher(publisher: Publisher) -> Entry:
    return short_name(publisher.stream), [
        f"{publisher.last_pushed} is the last pushed server counter"
    ]


def _removed_publisher(publisher: Publisher) -> Entry:
    return short_name(publisher.stream), [
        f"{publisher.last_pushed} was the last pushed server counter"
    ]


def _new_subscription(subscription: Subscription) -> Entry:
    return short_name(subscription.topic), [
        f"{subscription.event_count} events already processed",
        f"{subscription.server_counter} is the last received server counter",
        f"{subscription.callback_count} callback(s) registered",
        f"{subscription.missed_event_count} missed events detected",
        f"{subscription.discarded_event_count} events discarded",
    ]


def _removed_subscription(subscription: Subscription) -> Entry:
    return short_name(subscription.topic), [
        f"{subscription.event_count} events processed",
        f"{subscription.server_counter} was the last received server counter",
    ]
