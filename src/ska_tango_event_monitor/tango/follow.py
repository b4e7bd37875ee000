"""Following the publishers: the admin devices that publish what the given servers subscribe
to, learnt from their replies and polled from the next poll on (`--no-follow` to stop)."""

from __future__ import annotations

from collections.abc import Sequence

from ska_tango_event_monitor.core.follow import publisher_admins
from ska_tango_event_monitor.core.session import Snapshot
from ska_tango_event_monitor.tango.resolve import DeviceResolver, MonitoredServer, ServerKey


class PublisherFollower:
    """The servers given (named or discovered) and the publishers followed from them.

    One level only: the subscriptions of a followed server are not followed, so a monitor
    given one subscriber never crawls a whole control system. A publisher stays followed
    for the run (a followed server that stops answering is reported as not answering); one
    that becomes a given server (discovery) is given from then on.
    """

    def __init__(self, resolver: DeviceResolver, given: Sequence[MonitoredServer]) -> None:
        self._resolver = resolver
        self._given: dict[ServerKey, MonitoredServer] = {}
        self._followed: dict[ServerKey, MonitoredServer] = {}
        self.set_given(given)

    def set_given(self, servers: Sequence[MonitoredServer]) -> None:
        self._given = {self._resolver.server_key(s.admin): s for s in servers}

    @property
    def servers(self) -> list[MonitoredServer]:
        """The given servers, then the publishers followed (in the order they were met)."""
        followed = [s for key, s in self._followed.items() if key not in self._given]
        return [*self._given.values(), *followed]

    def learn(self, snapshot: Snapshot) -> list[MonitoredServer]:
        """The publishers this snapshot's given servers name for the first time."""
        new = []
        for poll in snapshot.polls:
            if poll.followed_from is not None or poll.state is None:
                continue
            for admin in publisher_admins(poll.state):
                key = self._resolver.server_key(admin)
                if key in self._given or key in self._followed:  # itself, or known
                    continue
                host = self._resolver.tango_host(admin)
                server = MonitoredServer(admin, (), host, followed_from=poll.admin)
                self._followed[key] = server
                new.append(server)
        return new
