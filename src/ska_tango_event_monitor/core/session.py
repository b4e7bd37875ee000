"""Consecutive snapshots of the monitored servers turned into reports (live or replayed)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from ska_tango_event_monitor.core.diff import ServerDiff, diff_states
from ska_tango_event_monitor.core.endpoints import EndpointCheck
from ska_tango_event_monitor.core.findings import Analyser, Analysis, Finding, Unjudged
from ska_tango_event_monitor.core.findings.model import Resubscription
from ska_tango_event_monitor.core.findings.silent import PollFacts
from ska_tango_event_monitor.core.flow import Backlog, ServerView, StreamRate
from ska_tango_event_monitor.core.health import StreamHealth
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.parse import ReplyError, parse_reply
from ska_tango_event_monitor.core.performance import (
    PerformanceTable,
    publisher_table,
    subscriber_table,
)
from ska_tango_event_monitor.core.titles import database_of, distinct_titles


@dataclass(frozen=True)
class ServerPoll:
    """One server's answer to one poll: the decoded reply, or why there is none.

    A live poll also carries the reply's text as received (the recording writes it as it
    is) and its state, parsed once when it arrived.
    """

    admin: str
    devices: tuple[str, ...]
    reply: Mapping[str, Any] | None = None
    error: str | None = None
    duration_s: float | None = None  # how long the query took, at most (None: no answer in time)
    text: str | None = field(default=None, repr=False, compare=False)
    # not an argument: a state belongs to its reply, so `dataclasses.replace` drops it
    state: EventSystemState | None = field(default=None, init=False, repr=False, compare=False)

    # the ZMQ endpoints this server advertises, probed from the monitor's host: asked only
    # of publishers whose subscribers get nothing (None: not asked, or --no-probe)
    endpoints: tuple[EndpointCheck, ...] | None = None
    tango_host: str | None = None  # its Tango database (None: none, or not recorded)
    followed_from: str | None = None  # the subscriber whose reply named this publisher

    @classmethod
    def parsed(
        cls,
        admin: str,
        devices: tuple[str, ...],
        reply: Mapping[str, Any],
        state: EventSystemState | None,
        duration_s: float | None = None,
        text: str | None = None,
        tango_host: str | None = None,
        followed_from: str | None = None,
    ) -> ServerPoll:
        """A poll whose reply was parsed where it arrived (None: it could not be)."""
        poll = cls(
            admin,
            devices,
            reply,
            duration_s=duration_s,
            text=text,
            tango_host=tango_host,
            followed_from=followed_from,
        )
        object.__setattr__(poll, "state", state)  # frozen: set once, as it is made
        return poll

    def with_endpoints(self, endpoints: tuple[EndpointCheck, ...]) -> ServerPoll:
        """This poll with its endpoints probed; its parsed state kept."""
        poll = replace(self, endpoints=endpoints)
        object.__setattr__(poll, "state", self.state)
        return poll

    @property
    def title(self) -> str:
        """`dserver/X/y (from foo/bar/hw, mot01)`: the names typed for it, each once; none
        when picked from the database or asked for by its admin device;
        `dserver/X/y (followed from dserver/Top/1)` for a publisher found by following."""
        admin = short_name(self.admin)
        if self.followed_from is not None:
            return f"{admin} (followed from {short_name(self.followed_from)})"
        typed = dict.fromkeys(map(short_name, self.devices))  # in the order given
        names = [name for name in typed if name.lower() != admin.lower()]
        return f"{admin} (from {', '.join(names)})" if names else admin


@dataclass(frozen=True)
class Snapshot:
    time: datetime
    polls: tuple[ServerPoll, ...]


@dataclass(frozen=True)
class ServerReport:
    admin: str
    title: str
    diff: ServerDiff | None = None
    error: str | None = None
    recovered_after: int = 0  # failed polls before this good one
    server_performance: PerformanceTable | None = None
    client_performance: PerformanceTable | None = None
    pushed_rates: tuple[StreamRate, ...] = ()
    processed_rates: tuple[StreamRate, ...] = ()
    event_channels: Mapping[str, str] = field(default_factory=dict)  # admin -> ZMQ endpoint
    tango_host: str | None = None  # the Tango database it belongs to (None: no database)
    followed_from: str | None = None  # the subscriber it was followed from (admin device)


@dataclass(frozen=True)
class SnapshotReport:
    time: datetime
    servers: tuple[ServerReport, ...]
    findings: tuple[Finding, ...] | None = None  # None: no analysis asked for
    backlogs: tuple[Backlog, ...] = ()
    unjudged: tuple[Unjudged, ...] = ()  # checks that could not be made, and why
    resubscriptions: tuple[Resubscription, ...] = ()  # keep-alive ages, per subscription
    health: tuple[StreamHealth, ...] = ()  # lag and verdict, per subscription joined
    # the state of each server that answered, for outputs that show more than the changes
    # (the exporter); not part of the JSON report
    states: Mapping[str, EventSystemState] = field(
        default_factory=lambda: MappingProxyType({}), metadata={"export": False}
    )


class MonitorSession:
    """Keeps each server's last good state so that every snapshot is reported as a change.

    With an `Analyser`, each report also carries event rates and findings.
    """

    def __init__(self, analyser: Analyser | None = None) -> None:
        self.analyser = analyser
        self._last_state: dict[str, EventSystemState] = {}
        self._last_time: dict[str, datetime] = {}
        self._failed_polls: dict[str, int] = {}

    def last_state(self, admin: str) -> EventSystemState | None:
        return self._last_state.get(admin)

    def update(self, snapshot: Snapshot) -> SnapshotReport:
        states = {poll.admin: self._parse(poll) for poll in snapshot.polls}
        databases = {poll.admin: database_of(poll) for poll in snapshot.polls}
        views = {
            admin: self._view(admin, state, snapshot.time, databases[admin])
            for admin, state in states.items()
            if not isinstance(state, str)
        }
        analysis = Analysis()
        if self.analyser is not None:
            failures = {a: s for a, s in states.items() if isinstance(s, str)}
            analysis = self.analyser.analyse(
                list(views.values()),
                failures,
                snapshot.time.timestamp(),
                PollFacts.of(snapshot.polls),
            )
        pushed, processed = _by_server(analysis.pushed_rates), _by_server(analysis.processed_rates)
        titles = distinct_titles(snapshot.polls)
        reports = tuple(
            replace(
                self._report(poll, views.get(poll.admin), states, pushed, processed),
                title=title,
                tango_host=databases[poll.admin],
                followed_from=poll.followed_from,
            )
            for poll, title in zip(snapshot.polls, titles, strict=True)
        )
        for view in views.values():
            self._last_state[view.admin] = view.state
            self._last_time[view.admin] = snapshot.time
        return SnapshotReport(
            time=snapshot.time,
            servers=reports,
            findings=None if self.analyser is None else analysis.findings,
            backlogs=analysis.backlogs,
            unjudged=analysis.unjudged,
            resubscriptions=analysis.resubscriptions,
            health=analysis.health,
            states=MappingProxyType({admin: view.state for admin, view in views.items()}),
        )

    @staticmethod
    def _parse(poll: ServerPoll) -> EventSystemState | str:
        """The state, or why there is none."""
        if poll.reply is None:  # a state without its reply is not an answer
            return poll.error or "no reply"
        if poll.state is not None:
            return poll.state
        try:
            return parse_reply(poll.reply)
        except ReplyError as error:
            return str(error)

    def _view(
        self, admin: str, state: EventSystemState, time: datetime, tango_host: str | None
    ) -> ServerView:
        last_time = self._last_time.get(admin)
        elapsed = None if last_time is None else (time - last_time).total_seconds()
        previous = self._last_state.get(admin)
        diff = diff_states(previous, state)
        return ServerView(admin, state, previous, elapsed, diff, tango_host)

    def _report(
        self,
        poll: ServerPoll,
        view: ServerView | None,
        states: dict[str, EventSystemState | str],
        pushed: Mapping[str, tuple[StreamRate, ...]],
        processed: Mapping[str, tuple[StreamRate, ...]],
    ) -> ServerReport:
        if view is None:
            self._failed_polls[poll.admin] = self._failed_polls.get(poll.admin, 0) + 1
            return ServerReport(poll.admin, poll.title, error=str(states[poll.admin]))
        state = view.state
        return ServerReport(
            admin=poll.admin,
            title=poll.title,
            diff=view.diff,
            recovered_after=self._failed_polls.pop(poll.admin, 0),
            server_performance=publisher_table(state.publisher_columns),
            client_performance=subscriber_table(state.subscriber_columns, state.subscriptions),
            pushed_rates=pushed.get(poll.admin, ()),
            processed_rates=processed.get(poll.admin, ()),
            event_channels=state.event_channels,
        )


def _by_server(rates: tuple[StreamRate, ...]) -> dict[str, tuple[StreamRate, ...]]:
    grouped: dict[str, list[StreamRate]] = defaultdict(list)
    for rate in rates:
        grouped[rate.server].append(rate)
    return {server: tuple(found) for server, found in grouped.items()}
