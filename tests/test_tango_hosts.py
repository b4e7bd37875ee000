"""One identity per host: the spellings of this machine and of other hosts compared.

Only loopback names are really resolved (`localhost`, this machine's own name, which
/etc/hosts answers); other hosts go through a resolver given here, so nothing leaves loopback.
"""

from __future__ import annotations

import socket

import pytest

from ska_tango_event_monitor.tango.hosts import (
    THIS_MACHINE,
    HostIdentities,
    addresses_of,
    is_loopback,
)
from ska_tango_event_monitor.tango.resolve import DeviceResolver

OTHER_HOSTS = {
    "db.example.org": ("192.0.2.10",),
    "tangodb": ("192.0.2.10",),  # another name of db.example.org
    "ctl.example.org": ("192.0.2.20", "2001:db8::20"),
    "ctl-alias": ("192.0.2.20",),
    "192.0.2.10": ("192.0.2.10",),
    "192.0.2.20": ("192.0.2.20",),
    "192.0.2.30": ("192.0.2.30",),
}


class Resolver:
    """Addresses of the hosts above; counts the look-ups."""

    def __init__(self, own: tuple[str, ...] = ()) -> None:
        self.calls: list[str] = []
        self.own = own

    def __call__(self, host: str) -> tuple[str, ...]:
        self.calls.append(host)
        if host == "this-host":
            return self.own
        return OTHER_HOSTS.get(host, ())


@pytest.mark.parametrize(
    "spelling",
    ["localhost", "LocalHost", "127.0.0.1", "127.0.1.1", "127.42.0.7", "::1", "[::1]"],
)
def test_every_loopback_spelling_is_this_machine(spelling: str) -> None:
    assert HostIdentities(addresses_of).canonical(spelling) == THIS_MACHINE


def test_this_machines_own_name_is_this_machine() -> None:
    own = socket.gethostname()
    hosts = HostIdentities(addresses_of)
    assert hosts.canonical(own) == hosts.canonical(own.upper()) == THIS_MACHINE


def test_a_name_resolving_to_this_machines_address_is_this_machine() -> None:
    # a control host whose own name resolves to its LAN address, as on most machines
    resolve = Resolver(own=("192.0.2.20",))
    hosts = HostIdentities(resolve, own_name="this-host")
    assert hosts.canonical("ctl.example.org") == hosts.canonical("192.0.2.20") == THIS_MACHINE
    assert hosts.canonical("db.example.org") == "192.0.2.10"


def test_other_hosts_are_compared_by_address() -> None:
    hosts = HostIdentities(Resolver(), own_name="this-host")
    assert hosts.canonical("db.example.org") == hosts.canonical("TANGODB") == "192.0.2.10"
    assert hosts.canonical("192.0.2.10") == hosts.canonical("db.example.org")
    assert hosts.canonical("ctl.example.org") == hosts.canonical("ctl-alias")
    assert hosts.canonical("ctl.example.org") != hosts.canonical("db.example.org")
    assert hosts.canonical("192.0.2.30") != hosts.canonical("db.example.org")
    assert hosts.canonical("db.example.org") != THIS_MACHINE


def test_a_name_that_does_not_resolve_is_compared_as_written() -> None:
    hosts = HostIdentities(Resolver(), own_name="this-host")
    assert hosts.canonical("Gone-Host") == hosts.canonical("gone-host") == "gone-host"
    assert hosts.canonical("gone-host") != hosts.canonical("other-gone-host")


def test_each_name_is_resolved_once() -> None:
    resolve = Resolver()
    hosts = HostIdentities(resolve, own_name="this-host")
    for _ in range(3):
        hosts.canonical("db.example.org")
        hosts.canonical("DB.example.org")
        hosts.canonical("tangodb")
    # this machine's own addresses are looked up once too, when a name is not loopback
    assert sorted(resolve.calls) == ["db.example.org", "tangodb", "this-host"]
    assert "localhost" not in resolve.calls


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.3", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("fe80::1%lo", False),
        ("192.0.2.10", False),
        ("localhost", False),  # a name, not an address
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_localhost_resolves_to_loopback() -> None:
    assert addresses_of("localhost") and all(map(is_loopback, addresses_of("localhost")))


# --- the server's identity in the resolver (pure: no database is asked) ----------------------


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> DeviceResolver:
    monkeypatch.setenv("TANGO_HOST", "localhost:10000")
    return DeviceResolver(HostIdentities(Resolver(), own_name="this-host"))


def test_the_default_database_is_its_explicit_spelling(resolver: DeviceResolver) -> None:
    key = resolver.server_key("dserver/Pool/demo")
    for spelling in (
        "tango://127.0.0.1:10000/dserver/Pool/demo",
        "tango://localhost:10000/DServer/pool/DEMO",
        "tango://LOCALHOST:10000/dserver/Pool/demo",
    ):
        assert resolver.server_key(spelling) == key, spelling


def test_this_machines_name_spells_a_local_default_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANGO_HOST", "localhost:10000")
    resolver = DeviceResolver()  # real look-ups: only this machine's names here
    own = f"tango://{socket.gethostname()}:10000/dserver/Pool/demo"
    assert resolver.server_key(own) == resolver.server_key("dserver/Pool/demo")


def test_other_databases_and_servers_are_other_identities(resolver: DeviceResolver) -> None:
    key = resolver.server_key("dserver/Pool/demo")
    assert resolver.server_key("tango://127.0.0.1:10001/dserver/Pool/demo") != key
    assert resolver.server_key("tango://db.example.org:10000/dserver/Pool/demo") != key
    assert resolver.server_key("dserver/Pool/demo2") != key
    assert resolver.server_key("tango://tangodb:10000/dserver/Pool/demo") == (
        resolver.server_key("tango://db.example.org:10000/dserver/pool/demo")
    )


def test_no_database_servers_by_their_own_address(resolver: DeviceResolver) -> None:
    key = resolver.server_key("tango://127.0.0.1:45000/dserver/EventLab/nodbpub#dbase=no")
    assert key == resolver.server_key("tango://localhost:45000/dserver/eventlab/NODBPUB#dbase=no")
    assert key != resolver.server_key("tango://127.0.0.1:45001/dserver/EventLab/nodbpub#dbase=no")
    assert key != resolver.server_key("tango://127.0.0.1:45000/dserver/EventLab/nodbpub")


def test_every_database_of_a_multi_host_tango_host_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TANGO_HOST", "db.example.org:10000,tangodb2:10000")
    resolver = DeviceResolver(HostIdentities(Resolver(), own_name="this-host"))
    key = resolver.server_key("dserver/Pool/demo")
    assert resolver.server_key("tango://tangodb:10000/dserver/Pool/demo") == key
    assert resolver.server_key("tango://tangodb2:10000/dserver/Pool/demo") == key
    assert resolver.server_key("tango://localhost:10000/dserver/Pool/demo") != key
