"""A publisher's advertised ZMQ endpoints (its admin device's `ZmqEventSubscriptionChange`
with `["info"]`), and what a probe from the monitor's host found at each of them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class EndpointCheck(NamedTuple):
    """One advertised endpoint and, when probed, whether its name resolves here and its port
    accepts a TCP connection (None: not probed, or not reached that far)."""

    role: str  # "heartbeat", "event", "alternate heartbeat", "alternate event"
    endpoint: str  # tcp://host:port, as advertised
    resolves: bool | None = None
    accepts: bool | None = None
    detail: str = ""  # the address it resolved to, or why it did not resolve / connect

    @property
    def host_port(self) -> tuple[str, int] | None:
        return split_endpoint(self.endpoint)


def parse_endpoint_info(lines: Iterable[str]) -> tuple[EndpointCheck, ...]:
    """`Heartbeat: tcp://h:1`, `Event: tcp://h:2`, `Alternate heartbeat: ...` lines of the
    reply's string part; an empty endpoint (no event socket before a first subscription) and
    other lines (the version, the buffer sizes) are left out."""
    found = []
    for line in lines:
        role, sep, endpoint = line.partition(":")
        endpoint = endpoint.strip()
        if sep and endpoint.startswith("tcp://") and split_endpoint(endpoint):
            found.append(EndpointCheck(role.strip().lower(), endpoint))
    return tuple(found)


def split_endpoint(endpoint: str) -> tuple[str, int] | None:
    """`("h", 1)` of `tcp://h:1` (`[::1]` keeps its brackets off); None if not of that form."""
    host, sep, port = endpoint.removeprefix("tcp://").rpartition(":")
    if not sep or not host or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


def check_text(check: EndpointCheck) -> str:
    """`heartbeat tcp://h:1 (does not resolve here)`, `... (127.0.0.1, port closed)`."""
    if check.resolves is None:
        found = "not probed"
    elif not check.resolves:
        found = f"does not resolve here{_detail(check)}"
    elif check.accepts:
        found = f"{check.detail}, port open" if check.detail else "port open"
    else:
        found = f"{check.detail}, port closed" if check.detail else "port closed"
    return f"{check.role} {check.endpoint} ({found})"


def _detail(check: EndpointCheck) -> str:
    return f": {check.detail}" if check.detail else ""


def endpoints_text(checks: Iterable[EndpointCheck]) -> str:
    return "; ".join(map(check_text, checks))


def none_reachable(checks: Iterable[EndpointCheck]) -> bool | None:
    """Whether the probe found no advertised heartbeat endpoint it could connect to (None:
    nothing probed). The subscriber needs one: it connects to the first that answers."""
    probed = [c for c in checks if c.resolves is not None and "heartbeat" in c.role]
    if not probed:
        return None
    return not any(c.accepts for c in probed)


def to_json(checks: Iterable[EndpointCheck]) -> list[dict[str, object]]:
    """As a recording keeps them."""
    return [check._asdict() for check in checks]


def from_json(entries: Iterable[dict[str, object]]) -> tuple[EndpointCheck, ...]:
    return tuple(
        EndpointCheck(
            role=str(entry.get("role", "")),
            endpoint=str(entry.get("endpoint", "")),
            resolves=_optional_bool(entry.get("resolves")),
            accepts=_optional_bool(entry.get("accepts")),
            detail=str(entry.get("detail", "")),
        )
        for entry in entries
    )


def _optional_bool(value: object) -> bool | None:
    return None if value is None else bool(value)
