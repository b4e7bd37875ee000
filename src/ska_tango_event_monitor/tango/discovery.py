"""The Tango adapter's `--server` / `--all`: running device servers picked from the database."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import tango

from ska_tango_event_monitor.core.names import DeviceName, server_pattern
from ska_tango_event_monitor.tango.errors import (
    ConfigurationError,
    UnknownDeviceError,
    describe_failure,
)
from ska_tango_event_monitor.tango.resolve import (
    MonitoredServer,
    connect_database,
    default_tango_host,
)

LISTED_AT_MOST = 20  # running servers named when a selection matches none


class ServerDiscovery:
    """Running device servers picked from the Tango database by `Executable/instance` pattern
    (upper and lower case alike; `dserver/X/*` and a bare `X` are taken for `X/*`).

    Without patterns (`--all`): every server but the database server itself, whose event
    system says nothing about the control system (`--server 'DataBaseds/*'` picks it).
    """

    def __init__(self, patterns: Sequence[str]) -> None:
        self.given = tuple(patterns)
        self.patterns = tuple(map(server_pattern, patterns)) or ("*",)
        self._excluded = () if patterns else ("databaseds/*",)
        self._database: tango.Database | None = None
        self._running: list[str] = []  # every exported server, at the last discovery

    @property
    def selection(self) -> str:
        """The selection as the user gave it, for messages."""
        return ", ".join(repr(p) for p in self.given) if self.given else "--all"

    def discover(self) -> list[MonitoredServer]:
        """Servers whose admin device is exported now; ConfigurationError without database."""
        if self._database is None:
            self._database = connect_database(DeviceName("dserver/*/*"))
        try:
            exported = list(self._database.get_device_exported("dserver/*"))
        except tango.DevFailed as error:
            raise ConfigurationError(
                f"cannot list the device servers in the Tango database: {describe_failure(error)}"
            ) from None
        self._running = sorted(exported, key=str.lower)
        return [
            MonitoredServer(admin, ())
            for admin in self._running
            if self._wanted(admin[len("dserver/") :].lower())
        ]

    def first(self) -> list[MonitoredServer]:
        """The servers at start; UnknownDeviceError, naming the running ones, if none match
        (a typo in a pattern must not look like a quiet control system)."""
        servers = self.discover()
        if not servers:
            raise UnknownDeviceError(self._nothing_matches())
        return servers

    def _nothing_matches(self) -> str:
        names = [admin[len("dserver/") :] for admin in self._running]
        listed = ", ".join(names[:LISTED_AT_MOST])
        if len(names) > LISTED_AT_MOST:
            listed += f" and {len(names) - LISTED_AT_MOST} more"
        where = f"in the Tango database at {default_tango_host()}"
        if not self.given:
            but = f" but the database server ({listed})" if names else ""
            return f"--all: no device server runs {where}{but}"
        running = f"the {len(names)} running: {listed}" if names else "none runs"
        return f"no running device server matches {self.selection} {where}; {running}"

    def nothing_left(self) -> str:
        """Said once when the last selected server went during a run."""
        waiting = "any more; waiting for one to start"
        if not self.given:
            return f"no device server but the database server runs {waiting}"
        return f"no server matches {self.selection} {waiting}"

    def _wanted(self, server: str) -> bool:
        def matches(patterns: Sequence[str]) -> bool:
            return any(fnmatch.fnmatchcase(server, pattern) for pattern in patterns)

        return matches(self.patterns) and not matches(self._excluded)
