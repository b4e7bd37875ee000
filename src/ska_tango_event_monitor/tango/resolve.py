"""Device names (or aliases) resolved to their device servers' admin devices, through the
Tango database (or, without one, the device itself)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import tango

from ska_tango_event_monitor.core.names import DeviceName, parse_device_name
from ska_tango_event_monitor.tango.errors import (
    ConfigurationError,
    UnknownDeviceError,
    describe_failure,
    failure_reason,
)
from ska_tango_event_monitor.tango.hosts import HostIdentities


@dataclass(frozen=True)
class MonitoredServer:
    """A device server, by its admin device, and the devices asked for that live in it."""

    admin: str
    devices: tuple[str, ...]
    tango_host: str | None = None  # its database as first spelled (None: no database)
    followed_from: str | None = None  # the subscriber whose reply named it (admin device)


DatabaseKey = tuple[str, int]  # a database's canonical host and its port
ServerKey = tuple[DatabaseKey | None, str, bool]  # database, admin path (lower), uses database


class DeviceResolver:
    """Maps device names (or aliases) to device servers through the Tango database (or the
    device), one server per admin device whatever the spelling of the names that reach it.

    Spellings are compared here, at the edge: hosts resolved once per address, the default
    TANGO_HOST equal to its explicit spelling, Tango names in any letter case. Inside the
    program a server keeps the first full name that reached it.
    """

    def __init__(self, hosts: HostIdentities | None = None) -> None:
        self._hosts = hosts or HostIdentities()
        self._databases: dict[DatabaseKey | None, tango.Database] = {}
        self._default_keys: tuple[DatabaseKey, ...] | None = None
        self._spellings: dict[DatabaseKey, str] = {}  # a database's first spelling

    def resolve(self, names: Sequence[str]) -> list[MonitoredServer]:
        servers: dict[ServerKey, tuple[str, list[str]]] = {}
        for text in names:
            admin = self.admin_device(_parse(text))
            _, devices = servers.setdefault(self.server_key(admin), (admin, []))
            if text.strip() not in devices:
                devices.append(text.strip())
        return [
            MonitoredServer(admin, tuple(devices), self.tango_host(admin))
            for admin, devices in servers.values()
        ]

    def tango_host(self, admin: str) -> str | None:
        """The database of an admin device as `host:port`, the same text for every spelling
        of it (the first one met; TANGO_HOST for a short name); None without a database."""
        name = parse_device_name(admin)
        key = self._database_key(name)
        if not name.uses_database or key is None:
            return None
        return self._spellings.setdefault(key, name.database_address or default_tango_host())

    def server_key(self, admin: str) -> ServerKey:
        """The same key for every spelling of one admin device."""
        name = parse_device_name(admin)
        return self._database_key(name), name.path.lower(), name.uses_database

    def admin_device(self, name: DeviceName) -> str:
        if not name.uses_database:
            return self._admin_from_device(name)
        name = self._device_of_alias(name) if name.is_alias else name
        info = self._device_info(name)
        path = name.path if name.is_admin else f"dserver/{info.ds_full_name}"
        return name.full_name(path)

    def _device_of_alias(self, name: DeviceName) -> DeviceName:
        where = name.database_address or default_tango_host()
        try:
            device = self._database(name).get_device_from_alias(name.path)
        except tango.DevFailed as error:
            if failure_reason(error) == "DB_DeviceNotDefined":
                raise UnknownDeviceError(
                    f"unknown device alias {name.path}: not defined in the Tango database at "
                    f"{where}"
                ) from None
            raise ConfigurationError(
                f"cannot look up the device alias {name.path} in the Tango database at {where}: "
                f"{describe_failure(error)}"
            ) from None
        return replace(name, path=device)

    def _device_info(self, name: DeviceName) -> tango.DbDevFullInfo:
        database = self._database(name)
        try:
            return database.get_device_info(name.path)
        except tango.DevFailed as error:
            where = name.database_address or default_tango_host()
            if failure_reason(error) == "DB_DeviceNotDefined":
                kind = "admin device" if name.is_admin else "device"
                raise UnknownDeviceError(
                    f"unknown {kind} {name.path}: not defined in the Tango database at {where}"
                ) from None
            raise ConfigurationError(
                f"cannot look up {name.path} in the Tango database at {where}: "
                f"{describe_failure(error)}"
            ) from None

    def _database(self, name: DeviceName) -> tango.Database:
        key = self._database_key(name)  # localhost:P and 127.0.0.1:P: one connection
        if key not in self._databases:
            self._databases[key] = connect_database(name)
        return self._databases[key]

    def database_key(self, name: DeviceName) -> DatabaseKey | None:
        """The canonical identity of a name's database: one for every spelling of it."""
        return self._database_key(name)

    def _database_key(self, name: DeviceName) -> DatabaseKey | None:
        """The database of a name (for #dbase=no, the server's own address), canonical."""
        default = self._default_databases()
        if name.host is None or name.port is None:
            return default[0] if default else None
        key = (self._hosts.canonical(name.host), name.port)
        return default[0] if key in default else key

    def _default_databases(self) -> tuple[DatabaseKey, ...]:
        """TANGO_HOST's databases (`host:port[,host:port]`), canonical; () when unset."""
        if self._default_keys is None:
            keys = []
            for entry in (tango.ApiUtil.get_env_var("TANGO_HOST") or "").split(","):
                host, _, port = entry.strip().rpartition(":")
                if host and port.isdigit():
                    keys.append((self._hosts.canonical(host), int(port)))
            self._default_keys = tuple(keys)
        return self._default_keys

    @staticmethod
    def _admin_from_device(name: DeviceName) -> str:
        # Without a database only the running device knows its server.
        try:
            admin: str = tango.DeviceProxy(name.full_name()).adm_name()
        except tango.DevFailed as error:
            raise UnknownDeviceError(
                f"cannot reach device {name.full_name()} (no database): {describe_failure(error)}"
            ) from None
        return admin if admin.startswith("tango://") else name.full_name(admin)


def _parse(text: str) -> DeviceName:
    try:
        return parse_device_name(text)
    except ValueError as error:
        raise UnknownDeviceError(str(error)) from None


def default_tango_host() -> str:
    """TANGO_HOST (from the environment or a tangorc file); ConfigurationError if unset."""
    host: str | None = tango.ApiUtil.get_env_var("TANGO_HOST")
    if not host:
        raise ConfigurationError(
            "TANGO_HOST is not set: export TANGO_HOST=host:port "
            "or give full names such as tango://host:port/domain/family/member"
        )
    return host


def connect_database(name: DeviceName) -> tango.Database:
    """The database of `name` (TANGO_HOST's for a short name); ConfigurationError if none."""
    address = name.database_address or default_tango_host()
    try:
        if name.host is None:
            return tango.Database()
        return tango.Database(name.host, name.port)
    except tango.DevFailed as error:
        raise ConfigurationError(
            f"cannot reach the Tango database at {address}: {describe_failure(error)}"
        ) from None
