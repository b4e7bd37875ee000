"""Tango names as the report shows them: without `tango://host:port/` and `#dbase=no`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_PREFIX = re.compile(r"^tango://[^/]+/", re.IGNORECASE)
_NO_DATABASE = "#dbase=no"
_TRL = re.compile(
    r"^(?:tango://(?P<host>[^:/]+):(?P<port>\d+)/)?"
    # domain/family/member, or a device alias (no slash), as DeviceProxy takes them
    r"(?P<path>[^/#:\s]+/[^/#:\s]+/[^/#:\s]+|[^/#:\s]+)"
    r"(?P<nodb>#dbase=no)?$",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=65536)  # the same few names come back every poll
def short_name(name: str) -> str:
    """`tango://h:1/foo/bar/hw#dbase=no.change` -> `foo/bar/hw.change`."""
    return _PREFIX.sub("", name).replace(_NO_DATABASE, "")


@dataclass(frozen=True)
class DeviceName:
    """A device name as given on the command line, split into its parts."""

    path: str
    host: str | None = None
    port: int | None = None
    uses_database: bool = True

    @property
    def is_alias(self) -> bool:
        """A device alias (`mot01`): the Tango database knows the device it names."""
        return "/" not in self.path

    @property
    def is_admin(self) -> bool:
        return self.path.lower().startswith("dserver/")

    @property
    def database_address(self) -> str | None:
        return None if self.host is None else f"{self.host}:{self.port}"

    def full_name(self, path: str | None = None) -> str:
        """This name (or another device path on the same host) in the form to connect to."""
        path = self.path if path is None else path
        prefix = "" if self.host is None else f"tango://{self.host}:{self.port}/"
        return f"{prefix}{path}{'' if self.uses_database else _NO_DATABASE}"


def parse_device_name(text: str) -> DeviceName:
    """Split `[tango://host:port/]domain/family/member[#dbase=no]` or `[tango://host:port/]alias`;
    ValueError if malformed."""
    match = _TRL.match(text.strip())
    if match is None:
        raise ValueError(
            f"malformed device name {text!r}: expected domain/family/member, an alias "
            "or tango://host:port/domain/family/member[#dbase=no]"
        )
    nodb = match["nodb"] is not None
    if nodb and match["host"] is None:
        raise ValueError(f"malformed device name {text!r}: #dbase=no needs tango://host:port/")
    if nodb and "/" not in match["path"]:
        raise ValueError(f"malformed device name {text!r}: an alias needs the Tango database")
    return DeviceName(
        path=match["path"],
        host=match["host"],
        port=None if match["port"] is None else int(match["port"]),
        uses_database=not nodb,
    )


def server_pattern(text: str) -> str:
    """An `Executable/instance` pattern as `--server` takes it, lower case: the admin device's
    `dserver/` prefix dropped (our own headers show it), a bare executable for all its instances
    (`CspSubarray` -> `cspsubarray/*`)."""
    pattern = text.strip().lower()
    if pattern.startswith("dserver/"):
        pattern = pattern[len("dserver/") :]
    return pattern if "/" in pattern else f"{pattern}/*"


_DATABASE_PATTERN = re.compile(r"^tango://(?P<host>[^/]+):(?P<port>\d+)/(?P<pattern>.*)$", re.I)


def database_pattern(text: str) -> tuple[str | None, int | None, str]:
    """`tango://host:port/MyServer/*` -> (`host`, port, `myserver/*`): a `--server` pattern
    of another Tango database; (None, None, pattern) for one of TANGO_HOST's."""
    match = _DATABASE_PATTERN.match(text.strip())
    if match is None:
        return None, None, server_pattern(text)
    return match["host"], int(match["port"]), server_pattern(match["pattern"])
