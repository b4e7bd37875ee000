"""Events pushed and processed on one server between two replies, from the diff's counts."""

from __future__ import annotations

from ska_tango_event_monitor.core.diff import ServerDiff

# CounterChange.events unrolled (a counter that went back counts from 0): once per stream
# and poll, the property call would cost more than the sum


def pushed_since(diff: ServerDiff) -> int:
    total = 0
    for _, (before, after) in diff.published:
        total += after if after < before else after - before
    return total


def processed_since(diff: ServerDiff) -> int:
    total = 0
    for change in diff.changed_subscriptions:
        if change.events_processed is not None:
            before, after = change.events_processed
            total += after if after < before else after - before
    return total
