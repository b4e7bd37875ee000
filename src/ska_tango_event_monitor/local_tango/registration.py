"""Devices to register in a Tango database, with their device properties."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import tango

from ska_tango_event_monitor.local_tango.errors import LocalTangoError
from ska_tango_event_monitor.tango.errors import describe_failure


@dataclass(frozen=True)
class DeviceRegistration:
    """A device to register in the database, with its device properties.

    ``server`` is ``Executable/instance`` (e.g. ``MyServer/hw``); property values are a
    string or a sequence of strings (Tango stores every property as a list of strings).
    """

    server: str
    device_class: str
    device: str
    properties: Mapping[str, str | Sequence[str]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        if self.server.count("/") != 1:
            raise ValueError(f"server must be 'Executable/instance', not {self.server!r}")
        if self.device.count("/") != 2:
            raise ValueError(f"device must be 'domain/family/member', not {self.device!r}")

    def property_values(self) -> dict[str, list[str]]:
        """The properties as Tango wants them: each value a list of strings."""
        return {
            name: [value] if isinstance(value, str) else [str(item) for item in value]
            for name, value in self.properties.items()
        }


def register_devices(db: tango.Database, registrations: Iterable[DeviceRegistration]) -> None:
    """Add the devices (and set their properties) in ``db``; raise LocalTangoError if refused."""
    for registration in registrations:
        try:
            _register(db, registration)
        except tango.DevFailed as exc:
            raise LocalTangoError(
                f"cannot register {registration.device}: {describe_failure(exc)}"
            ) from exc


def _register(db: tango.Database, registration: DeviceRegistration) -> None:
    info = tango.DbDevInfo()
    info.server = registration.server
    info._class = registration.device_class
    info.name = registration.device
    db.add_device(info)
    if registration.properties:
        db.put_device_property(registration.device, registration.property_values())
