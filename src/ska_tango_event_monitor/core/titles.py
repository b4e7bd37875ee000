"""Section headers that never merge two servers: `dserver/X/y`, with `tango://host:port/`
kept only where two Tango databases each have a server of that name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ska_tango_event_monitor.core.names import parse_device_name, short_name


class Polled(Protocol):
    """What a header needs of a polled server (a `ServerPoll`)."""

    @property
    def admin(self) -> str: ...
    @property
    def tango_host(self) -> str | None: ...
    @property
    def title(self) -> str: ...


def database_of(server: Polled) -> str | None:
    """The Tango database (`host:port`) of a server: as the poll says, else as its admin
    device's full name says (a recording made before the database was recorded)."""
    if server.tango_host is not None:
        return server.tango_host
    try:
        name = parse_device_name(server.admin)
    except ValueError:
        return None
    return name.database_address if name.uses_database else None


def distinct_titles(servers: Sequence[Polled]) -> list[str]:
    """Each server's title; prefixed with `tango://host:port/` where the admin device's
    short name is another database's server's too (case aside, as Tango compares names)."""
    names = [short_name(server.admin).lower() for server in servers]
    databases: dict[str, set[str | None]] = {}
    for name, server in zip(names, servers, strict=True):
        databases.setdefault(name, set()).add(_address(server))
    titles = []
    for name, server in zip(names, servers, strict=True):
        address = _address(server)
        clash = len(databases[name]) > 1 and address is not None
        titles.append(f"tango://{address}/{server.title}" if clash else server.title)
    return titles


def _address(server: Polled) -> str | None:
    """The database, or for a server without one its own `host:port`."""
    found = database_of(server)
    if found is None:
        try:
            found = parse_device_name(server.admin).database_address
        except ValueError:
            return None
    return found
