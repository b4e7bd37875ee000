"""`--server`/`--all` live: the servers found again before every poll, the publishers
followed kept beside them."""

from __future__ import annotations

from ska_tango_event_monitor.cli.common import Environment
from ska_tango_event_monitor.tango.discovery import ServerDiscovery
from ska_tango_event_monitor.tango.errors import ConfigurationError
from ska_tango_event_monitor.tango.follow import PublisherFollower
from ska_tango_event_monitor.tango.monitor import Monitor


class Rediscovery:
    """Before every poll but the first: pick up servers that started, drop those that
    stopped (they unexported), and say once when none is left; the publishers followed
    stay monitored beside them."""

    def __init__(
        self,
        env: Environment,
        monitor: Monitor,
        discovery: ServerDiscovery,
        publishers: PublisherFollower | None,
    ) -> None:
        self.env, self.monitor, self.discovery = env, monitor, discovery
        self.publishers = publishers
        self._found = [s.admin for s in monitor.servers]  # at start: monitored already
        self._first = True

    def before_poll(self) -> None:
        if self._first:
            self._first = False
            return
        try:
            servers = self.discovery.discover()
        except ConfigurationError as error:
            self._warn(f"{error}; still monitoring the servers found before")
            return
        before, now = set(self._found), {s.admin for s in servers}
        for admin in sorted(now - before):
            self._warn(f"{admin} started: monitoring it")
        for admin in sorted(before - now):
            self._warn(f"{admin} stopped (no longer exported): no longer monitored")
        if before and not now:
            self._warn(self.discovery.nothing_left())
        self._found = [s.admin for s in servers]
        if self.publishers is not None:
            self.publishers.set_given(servers)
            servers = self.publishers.servers
        self.monitor.set_servers(servers)

    def _warn(self, message: str) -> None:
        self.env.stderr.write(f"warning: {message}\n")
        self.env.stderr.flush()
