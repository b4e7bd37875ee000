"""Which spellings of a Tango host name the same machine, so that a server has one identity.

`localhost`, `127.0.0.1`, any 127.x address, `::1` and this machine's own name and addresses
are this machine; another name is resolved (once) and stands for its lowest address. A name
that does not resolve is compared as written: connecting to it will say what is wrong.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence

THIS_MACHINE = "localhost"

Resolve = Callable[[str], Sequence[str]]  # host name -> its addresses (empty: unknown)


def addresses_of(host: str) -> tuple[str, ...]:
    """The addresses a name resolves to (`socket.getaddrinfo`), sorted; () if it does not."""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        return ()
    return tuple(sorted({str(info[4][0]) for info in found}))


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone (`%lo`)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


class HostIdentities:
    """The canonical form of host names; each name is resolved once (not every poll)."""

    def __init__(self, resolve: Resolve = addresses_of, own_name: str | None = None) -> None:
        self._resolve = resolve
        self._own_name = (socket.gethostname() if own_name is None else own_name).lower()
        self._own_addresses: frozenset[str] | None = None
        self._known: dict[str, str] = {}

    def canonical(self, host: str) -> str:
        """`THIS_MACHINE` for this machine, else the host's lowest address (or its name)."""
        name = host.strip().strip("[]").lower()
        if name not in self._known:
            self._known[name] = self._identify(name)
        return self._known[name]

    def _identify(self, name: str) -> str:
        if name in (THIS_MACHINE, self._own_name) or is_loopback(name):
            return THIS_MACHINE
        addresses = self._resolve(name)
        if not addresses:
            return name
        if any(map(is_loopback, addresses)) or not self._own().isdisjoint(addresses):
            return THIS_MACHINE
        return min(addresses)

    def _own(self) -> frozenset[str]:
        if self._own_addresses is None:
            self._own_addresses = frozenset(self._resolve(self._own_name))
        return self._own_addresses
