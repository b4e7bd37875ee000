"""Events pushed and processed on one server between two replies, from its counters."""

from __future__ import annotations

from ska_tango_event_monitor.core.model import EventSystemState


def pushed_since(previous: EventSystemState, state: EventSystemState) -> int:
    return sum(
        max(p.next_counter - previous.publishers[s].next_counter, 0)
        for s, p in state.publishers.items()
        if s in previous.publishers
    )


def processed_since(previous: EventSystemState, state: EventSystemState) -> int:
    return sum(
        max(sub.event_count - previous.subscriptions[t].event_count, 0)
        for t, sub in state.subscriptions.items()
        if t in previous.subscriptions
    )
