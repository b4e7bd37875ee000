"""The check SKA teams write by hand: no events missed, no backlog left behind.

Pure: compares the event systems of the watched servers before and after a test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ska_tango_event_monitor.core.diff import diff_states
from ska_tango_event_monitor.core.flow import Backlog, ServerView, backlogs
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.names import short_name


@dataclass(frozen=True)
class EventProblem:
    server: str
    topic: str
    message: str

    def __str__(self) -> str:
        return f"{short_name(self.server)} {self.topic}: {self.message}"


def missed_events(
    before: Mapping[str, EventSystemState], after: Mapping[str, EventSystemState]
) -> list[EventProblem]:
    """Subscriptions whose missed-event count rose between the two snapshots."""
    problems = []
    for server, state in after.items():
        for change in diff_states(before.get(server), state).changed_subscriptions:
            if change.missed_events and change.missed_events.delta > 0:
                problems.append(
                    EventProblem(
                        server,
                        short_name(change.topic),
                        f"{change.missed_events.delta} missed-event gap(s) detected",
                    )
                )
    return problems


def pending_backlogs(states: Mapping[str, EventSystemState]) -> list[Backlog]:
    """Events pushed by one watched server and not yet received by another."""
    views = [ServerView(server, state) for server, state in states.items()]
    return [flow for flow in backlogs(views) if flow.events > 0]


def backlog_problem(flow: Backlog) -> EventProblem:
    return EventProblem(
        flow.subscriber,
        short_name(flow.topic),
        f"{flow.events} events pushed by {short_name(flow.publisher)} still not received "
        f"(last pushed {flow.last_pushed}, last received {flow.last_received})",
    )
