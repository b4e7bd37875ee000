"""The Tango adapter's `--server` / `--all`: running device servers picked from the database
(or from several: `tango://host:port/Pattern` names another database than TANGO_HOST's)."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, field

import tango

from ska_tango_event_monitor.core.names import DeviceName, database_pattern
from ska_tango_event_monitor.tango.errors import (
    ConfigurationError,
    UnknownDeviceError,
    describe_failure,
)
from ska_tango_event_monitor.tango.resolve import (
    DatabaseKey,
    DeviceResolver,
    MonitoredServer,
    connect_database,
    default_tango_host,
)

LISTED_AT_MOST = 20  # running servers named when a selection matches none


@dataclass
class _Selection:
    """The patterns of one Tango database, and what it ran at the last discovery."""

    name: DeviceName  # `dserver/*/*` in that database (no host: TANGO_HOST's)
    patterns: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)  # as typed, for messages
    database: tango.Database | None = None
    running: list[str] = field(default_factory=list)  # every exported server

    @property
    def where(self) -> str:
        return f"in the Tango database at {self.name.database_address or default_tango_host()}"


class ServerDiscovery:
    """Running device servers picked from the Tango database by `Executable/instance` pattern
    (upper and lower case alike; `dserver/X/*` and a bare `X` are taken for `X/*`;
    `tango://host:port/X/*` in the database at host:port, named by full names).

    Without patterns (`--all`): every server but the database server itself, whose event
    system says nothing about the control system (`--server 'DataBaseds/*'` picks it).
    """

    def __init__(self, patterns: Sequence[str], resolver: DeviceResolver | None = None) -> None:
        self.given = tuple(patterns)
        self._resolver = resolver or DeviceResolver()
        self._excluded = () if patterns else ("databaseds/*",)
        self._selections: dict[DatabaseKey | None, _Selection] = {}
        for text in patterns or ("*",):
            host, port, pattern = database_pattern(text)
            name = DeviceName("dserver/*/*", host, port)
            key = self._resolver.database_key(name)  # one database, however spelled
            selection = self._selections.setdefault(key, _Selection(name))
            selection.patterns.append(pattern)
            selection.given.append(text)

    @property
    def selection(self) -> str:
        """The selection as the user gave it, for messages."""
        return ", ".join(repr(p) for p in self.given) if self.given else "--all"

    def discover(self) -> list[MonitoredServer]:
        """Servers whose admin device is exported now; ConfigurationError without database."""
        return [server for s in self._selections.values() for server in self._discover(s)]

    def _discover(self, selection: _Selection) -> list[MonitoredServer]:
        if selection.database is None:
            selection.database = connect_database(selection.name)
        try:
            exported = list(selection.database.get_device_exported("dserver/*"))
        except tango.DevFailed as error:
            raise ConfigurationError(
                f"cannot list the device servers {selection.where}: {describe_failure(error)}"
            ) from None
        selection.running = sorted(exported, key=str.lower)
        admins = [
            selection.name.full_name(admin)
            for admin in selection.running
            if self._wanted(admin[len("dserver/") :].lower(), selection.patterns)
        ]
        return [MonitoredServer(admin, (), self._resolver.tango_host(admin)) for admin in admins]

    def first(self) -> list[MonitoredServer]:
        """The servers at start; UnknownDeviceError, naming the running ones, if none match
        (a typo in a pattern must not look like a quiet control system)."""
        servers = self.discover()
        if not servers:
            raise UnknownDeviceError(
                "; ".join(map(self._nothing_matches, self._selections.values()))
            )
        return servers

    def _nothing_matches(self, selection: _Selection) -> str:
        names = [admin[len("dserver/") :] for admin in selection.running]
        listed = ", ".join(names[:LISTED_AT_MOST])
        if len(names) > LISTED_AT_MOST:
            listed += f" and {len(names) - LISTED_AT_MOST} more"
        if not self.given:
            but = f" but the database server ({listed})" if names else ""
            return f"--all: no device server runs {selection.where}{but}"
        running = f"the {len(names)} running: {listed}" if names else "none runs"
        given = ", ".join(map(repr, selection.given))
        return f"no running device server matches {given} {selection.where}; {running}"

    def nothing_left(self) -> str:
        """Said once when the last selected server went during a run."""
        waiting = "any more; waiting for one to start"
        if not self.given:
            return f"no device server but the database server runs {waiting}"
        return f"no server matches {self.selection} {waiting}"

    def _wanted(self, server: str, patterns: Sequence[str]) -> bool:
        def matches(patterns: Sequence[str]) -> bool:
            return any(fnmatch.fnmatchcase(server, pattern) for pattern in patterns)

        return matches(patterns) and not matches(self._excluded)
