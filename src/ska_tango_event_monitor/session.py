"""Consecutive snapshots of the monitored servers turned into reports (live or replayed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ska_tango_event_monitor.diff import ServerDiff, diff_states
from ska_tango_event_monitor.model import EventSystemState
from ska_tango_event_monitor.names import short_name
from ska_tango_event_monitor.parse import ReplyError, parse_reply
from ska_tango_event_monitor.performance import (
    PerformanceTable,
    publisher_table,
    subscriber_table,
)


@dataclass(frozen=True)
class ServerPoll:
    """One server's answer to one poll: the decoded reply, or why there is none."""

    admin: str
    devices: tuple[str, ...]
    reply: Mapping[str, Any] | None = None
    error: str | None = None

    @property
    def title(self) -> str:
        return f"{short_name(self.admin)} (from {', '.join(map(short_name, self.devices))})"


@dataclass(frozen=True)
class Snapshot:
    time: datetime
    polls: tuple[ServerPoll, ...]


@dataclass(frozen=True)
class ServerReport:
    title: str
    diff: ServerDiff | None = None
    error: str | None = None
    recovered_after: int = 0  # failed polls before this good one
    server_performance: PerformanceTable | None = None
    client_performance: PerformanceTable | None = None


@dataclass(frozen=True)
class SnapshotReport:
    time: datetime
    servers: tuple[ServerReport, ...]


class MonitorSession:
    """Keeps each server's last good state so that every snapshot is reported as a change."""

    def __init__(self) -> None:
        self._last_state: dict[str, EventSystemState] = {}
        self._failed_polls: dict[str, int] = {}

    def last_state(self, admin: str) -> EventSystemState | None:
        return self._last_state.get(admin)

    def update(self, snapshot: Snapshot) -> SnapshotReport:
        return SnapshotReport(snapshot.time, tuple(map(self._report, snapshot.polls)))

    def _report(self, poll: ServerPoll) -> ServerReport:
        try:
            state = None if poll.reply is None else parse_reply(poll.reply)
        except ReplyError as error:
            state, poll = None, ServerPoll(poll.admin, poll.devices, error=str(error))
        if state is None:
            self._failed_polls[poll.admin] = self._failed_polls.get(poll.admin, 0) + 1
            return ServerReport(poll.title, error=poll.error or "no reply")
        report = ServerReport(
            title=poll.title,
            diff=diff_states(self._last_state.get(poll.admin), state),
            recovered_after=self._failed_polls.pop(poll.admin, 0),
            server_performance=publisher_table(state.publisher_samples),
            client_performance=subscriber_table(state.subscriber_samples),
        )
        self._last_state[poll.admin] = state
        return report
