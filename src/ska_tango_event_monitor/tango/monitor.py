"""One polling round over all monitored servers, and switching performance monitoring."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.parse import ReplyError, read_reply
from ska_tango_event_monitor.core.session import ServerPoll, Snapshot
from ska_tango_event_monitor.tango.admin import AdminDevice, is_unsupported
from ska_tango_event_monitor.tango.errors import describe_failure
from ska_tango_event_monitor.tango.fanout import Deferred, NotArrived, Outcome, ParallelCalls
from ska_tango_event_monitor.tango.resolve import MonitoredServer


class Reply(NamedTuple):
    """A QueryEventSystem reply: its text as received, the decoded object, and its state
    parsed once (None when the session will say why it cannot be read)."""

    text: str
    decoded: Mapping[str, Any]
    state: EventSystemState | None


UNSUPPORTED = "has no QueryEventSystem command: its server runs Tango older than 10.1"


class Monitor:
    """Queries every server at once each round; no server delays another beyond `timeout`."""

    def __init__(
        self,
        servers: Sequence[MonitoredServer],
        timeout_s: float,
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.timeout_s = timeout_s
        self._now = now
        self._admins: dict[str, AdminDevice] = {}
        self._queries: dict[str, Deferred[Reply]] = {}
        self._calls: ParallelCalls[str] = ParallelCalls()
        self.unsupported: set[str] = set()
        self.perf_enabled: set[str] = set()
        self.set_servers(servers)

    def set_servers(self, servers: Sequence[MonitoredServer]) -> None:
        """Monitor these servers from the next poll on (discovery adds and drops some)."""
        self.servers = tuple(servers)
        admins = {s.admin for s in servers}
        self._admins = {a: self._admins.get(a) or AdminDevice(a, self.timeout_s) for a in admins}
        self._queries = {a: self._queries.get(a) or _query(self._admins[a]) for a in admins}
        self._calls.retain(admins)
        self.perf_enabled &= admins

    def poll(self) -> Snapshot:
        time = self._now()
        outcomes = self._calls.call_all(self._queries, self.timeout_s)
        return Snapshot(time, tuple(self._server_poll(s, outcomes[s.admin]) for s in self.servers))

    def _server_poll(self, server: MonitoredServer, outcome: Outcome[Reply]) -> ServerPoll:
        admin, devices, duration = server.admin, server.devices, outcome.duration_s
        host, origin = server.tango_host, server.followed_from
        if not outcome.ok:
            error = self._failure(admin, outcome)
            return ServerPoll(
                admin,
                devices,
                error=error,
                duration_s=duration,
                tango_host=host,
                followed_from=origin,
            )
        self.unsupported.discard(admin)
        reply = outcome.value
        assert reply is not None
        return ServerPoll.parsed(
            admin,
            devices,
            reply.decoded,
            reply.state,
            duration_s=duration,
            text=reply.text,
            tango_host=host,
            followed_from=origin,
        )

    def _failure(self, admin: str, outcome: Outcome[Any]) -> str:
        if outcome.pending_for is not None:
            pending = outcome.pending_for
            return f"no reply within {self.timeout_s:g} s (call pending for {pending:.1f} s)"
        assert outcome.error is not None
        if isinstance(outcome.error, ReplyError):
            return str(outcome.error)
        if is_unsupported(outcome.error):
            self.unsupported.add(admin)
            return f"{admin} {UNSUPPORTED}"
        return describe_failure(outcome.error)

    def set_perf_monitoring(self, enabled: bool, admins: Sequence[str]) -> dict[str, str]:
        """Switch perf monitoring on or off where asked; returns the failures by server."""
        calls = {
            admin: (lambda device=self._admins[admin]: device.set_perf_monitoring(enabled))
            for admin in admins
        }
        failures = {}
        for admin, outcome in self._calls.call_all(calls, self.timeout_s).items():
            if outcome.ok:
                (self.perf_enabled.add if enabled else self.perf_enabled.discard)(admin)
            elif outcome.error is not None:  # not the poll: says nothing of QueryEventSystem
                failures[admin] = describe_failure(outcome.error)
            else:
                failures[admin] = f"no reply within {self.timeout_s:g} s"
        return failures

    def close(self) -> None:
        """End the worker threads (a call still in flight ends on its own timeout)."""
        self._calls.close()

    def admins_needing_perf(self, snapshot: Snapshot) -> list[str]:
        """Servers whose reply shows perf off although we asked for it (e.g. a restart)."""
        return [poll.admin for poll in snapshot.polls if poll.state and poll.state.perf_off]


def _query(device: AdminDevice) -> Deferred[Reply]:
    """QueryEventSystem, decoded as soon as it arrives; also in halves (send, then receive
    or take), so that one thread can call every server at once."""

    def call() -> Reply:
        return _received(device.query_event_system() or "")

    def receive(ticket: object) -> Reply:  # waits for the answer or the proxy's timeout
        return _received(device.receive_query(ticket) or "")

    def take(ticket: object) -> Reply:
        text = device.take_query(ticket)
        if text is None:
            raise NotArrived
        return _received(text)

    return Deferred(call, device.send_query, receive, take)


def _received(text: str) -> Reply:
    """Decoded and parsed once, in the worker that received it (a state of None: the
    session reports why, the recording keeps the reply); ReplyError if it is not JSON."""
    decoded, state = read_reply(text)
    return Reply(text, decoded, state)
