"""The Tango adapter: find each device's admin device and call its event-system commands.

With `tango_discovery` (servers picked by pattern), the only modules that import `tango`;
everything they return is plain data or strings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import tango

from ska_tango_event_monitor.core.names import DeviceName, parse_device_name
from ska_tango_event_monitor.tango.hosts import HostIdentities

QUERY_COMMAND = "QueryEventSystem"
PERF_COMMAND = "EnableEventSystemPerfMon"


class MonitorSetupError(Exception):
    """Why monitoring cannot start; the message is one line for the user."""


class ConfigurationError(MonitorSetupError):
    """No TANGO_HOST, or the Tango database cannot be reached."""


class UnknownDeviceError(MonitorSetupError):
    """A name the Tango database (or the device) does not know."""


class UnsupportedServerError(MonitorSetupError):
    """A server without QueryEventSystem (cppTango older than 10.1)."""


@dataclass(frozen=True)
class MonitoredServer:
    """A device server, by its admin device, and the devices asked for that live in it."""

    admin: str
    devices: tuple[str, ...]


def describe_failure(error: BaseException) -> str:
    """One line for any failure; for DevFailed the first reason and description."""
    if isinstance(error, tango.DevFailed) and error.args:
        first = error.args[0]
        text = f"{first.reason}: {first.desc}"
    else:
        text = f"{type(error).__name__}: {error}"
    return re.sub(r"\s+", " ", text).strip()


def failure_reason(error: BaseException) -> str | None:
    if isinstance(error, tango.DevFailed) and error.args:
        return str(error.args[0].reason)
    return None


def is_unsupported(error: BaseException) -> bool:
    return failure_reason(error) == "API_CommandNotFound"


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

    def resolve(self, names: Sequence[str]) -> list[MonitoredServer]:
        servers: dict[ServerKey, tuple[str, list[str]]] = {}
        for text in names:
            admin = self.admin_device(_parse(text))
            _, devices = servers.setdefault(self.server_key(admin), (admin, []))
            if text.strip() not in devices:
                devices.append(text.strip())
        return [MonitoredServer(admin, tuple(devices)) for admin, devices in servers.values()]

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
            admin = tango.DeviceProxy(name.full_name()).adm_name()
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
    host = tango.ApiUtil.get_env_var("TANGO_HOST")
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


class AdminDevice:
    """The event-system commands of one admin device; call it from one thread at a time."""

    def __init__(self, name: str, timeout_s: float) -> None:
        self.name = name
        self._timeout_ms = max(1, round(timeout_s * 1000))
        self._proxy: tango.DeviceProxy | None = None

    def query_event_system(self) -> str:
        # command_inout, not proxy.QueryEventSystem(): the attribute lookup of a server that
        # is down raises AttributeError and hides the DevFailed.
        return self._connect().command_inout(QUERY_COMMAND)

    def set_perf_monitoring(self, enabled: bool) -> None:
        self._connect().command_inout(PERF_COMMAND, enabled)

    # QueryEventSystem in two halves (Tango's asynchronous call, polling model), so that
    # one thread can send to every server and then collect the answers.

    def send_query(self) -> object:
        """Send the call; returns the ticket for `receive_query` / `take_query`."""
        return self._connect().command_inout_asynch(QUERY_COMMAND)

    def receive_query(self, ticket: object) -> str:
        """Wait for the answer (at most the proxy's timeout)."""
        return self._connect().command_inout_reply(ticket, 0)

    def take_query(self, ticket: object) -> str | None:
        """The answer if it has arrived, else None."""
        try:
            return self._connect().command_inout_reply(ticket)
        except tango.DevFailed as error:
            if failure_reason(error) == "API_AsynReplyNotArrived":
                return None
            raise

    def _connect(self) -> tango.DeviceProxy:
        if self._proxy is None:
            proxy = tango.DeviceProxy(self.name)
            proxy.set_timeout_millis(self._timeout_ms)
            self._proxy = proxy
        return self._proxy


def query_this_process() -> str:
    """The calling process's own event system as a client (pytango >= 10.3), e.g. a test."""
    api = tango.ApiUtil.instance()
    if not hasattr(api, "query_event_system"):
        raise UnsupportedServerError("this pytango has no ApiUtil.query_event_system (>= 10.3)")
    return api.query_event_system()
