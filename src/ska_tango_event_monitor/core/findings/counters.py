"""Events pushed and processed on one server between two replies, from the diff's counts."""

from __future__ import annotations

from ska_tango_event_monitor.core.diff import ServerDiff


def pushed_since(diff: ServerDiff) -> int:
    return sum(change.last_pushed.events for change in diff.published)


def processed_since(diff: ServerDiff) -> int:
    return sum(
        change.events_processed.events
        for change in diff.changed_subscriptions
        if change.events_processed is not None
    )
