"""Device and stream names: shortening for display and parsing command-line device names."""

from __future__ import annotations

import pytest

from ska_tango_event_monitor.core.names import (
    DeviceName,
    parse_device_name,
    server_pattern,
    short_name,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tango://127.0.0.1:45963/foo/bar/hw/mode.change", "foo/bar/hw/mode.change"),
        (
            "tango://host.example.org:10000/foo/bar/hw/mode.idl5_change",
            "foo/bar/hw/mode.idl5_change",
        ),
        ("TANGO://HOST:10000/foo/bar/hw/mode.change", "foo/bar/hw/mode.change"),
        ("tango://h:1/foo/bar/hw#dbase=no.change", "foo/bar/hw.change"),
        # the subscriber side puts #dbase=no after the attribute
        (
            "tango://vm:60027/nodb/source/1/value#dbase=no.idl5_change",
            "nodb/source/1/value.idl5_change",
        ),
        ("tango://vm:60027/dserver/EventLab/nodbpub#dbase=no", "dserver/EventLab/nodbpub"),
        ("tango://127.0.0.1:45963/dserver/myserver/hw", "dserver/myserver/hw"),
        # already short: unchanged
        ("foo/bar/hw/mode.change", "foo/bar/hw/mode.change"),
        ("dserver/MyServer/hw", "dserver/MyServer/hw"),
    ],
)
def test_short_name(name: str, expected: str) -> None:
    assert short_name(name) == expected


def test_short_name_only_strips_the_leading_prefix() -> None:
    # a tango:// text that is not at the start is not a prefix
    assert short_name("foo/bar/hw/tango://x:1/y") == "foo/bar/hw/tango://x:1/y"


def test_parse_short_name() -> None:
    name = parse_device_name("foo/bar/hw")
    assert name == DeviceName(path="foo/bar/hw", host=None, port=None, uses_database=True)
    assert not name.is_admin
    assert name.database_address is None
    assert name.full_name() == "foo/bar/hw"


def test_parse_strips_surrounding_whitespace() -> None:
    assert parse_device_name("  foo/bar/hw\n").path == "foo/bar/hw"


def test_parse_full_name() -> None:
    name = parse_device_name("tango://db.example.org:10000/foo/bar/hw")
    assert name == DeviceName("foo/bar/hw", "db.example.org", 10000, True)
    assert isinstance(name.port, int)
    assert name.database_address == "db.example.org:10000"
    assert name.full_name() == "tango://db.example.org:10000/foo/bar/hw"


def test_parse_no_database_name() -> None:
    name = parse_device_name("tango://127.0.0.1:45000/nodb/source/1#dbase=no")
    assert name == DeviceName("nodb/source/1", "127.0.0.1", 45000, uses_database=False)
    assert name.full_name() == "tango://127.0.0.1:45000/nodb/source/1#dbase=no"
    # another device path on the same host keeps host, port and #dbase=no
    assert (
        name.full_name("dserver/EventLab/nodbpub")
        == "tango://127.0.0.1:45000/dserver/EventLab/nodbpub#dbase=no"
    )


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("dserver/MyServer/hw", "dserver/MyServer/hw"),
        ("DServer/MyServer/hw", "DServer/MyServer/hw"),
        ("tango://127.0.0.1:10000/dserver/MyServer/hw", "dserver/MyServer/hw"),
    ],
)
def test_parse_admin_names(text: str, path: str) -> None:
    name = parse_device_name(text)
    assert name.path == path
    assert name.is_admin


def test_non_admin_name_containing_dserver_is_not_admin() -> None:
    assert not parse_device_name("foo/dserver/hw").is_admin


def test_full_name_with_other_path_on_database_host() -> None:
    name = parse_device_name("tango://h:10000/foo/bar/hw")
    assert name.full_name("dserver/MyServer/hw") == "tango://h:10000/dserver/MyServer/hw"
    assert parse_device_name("foo/bar/hw").full_name("dserver/A/b") == "dserver/A/b"


@pytest.mark.parametrize(
    "text",
    [
        "foo/bar",
        "foo//bar/baz",
        "tango://host/foo/bar/baz",  # no port
        "tango://host:port/foo/bar/baz",  # port not a number
        "foo/bar/hw/extra",
        "foo/bar/hw#dbase=no",  # #dbase=no needs tango://host:port/
        "foo/bar/hw#dbase=yes",
        "",
        "   ",
        "foo bar/baz/qux",
    ],
)
def test_malformed_names_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="malformed device name"):
        parse_device_name(text)


def test_nodb_without_host_says_why() -> None:
    with pytest.raises(ValueError, match=r"#dbase=no needs tango://host:port/"):
        parse_device_name("foo/bar/hw#dbase=no")


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("mot01", None, None),
        ("Door_demo", None, None),
        ("tango://127.0.0.1:10000/mot01", "127.0.0.1", 10000),
    ],
)
def test_parse_device_alias(text: str, host: str | None, port: int | None) -> None:
    name = parse_device_name(text)
    assert (name.path, name.host, name.port) == (text.rsplit("/", 1)[-1], host, port)
    assert name.is_alias and not name.is_admin and name.uses_database
    assert name.full_name() == text


def test_three_part_names_are_not_aliases() -> None:
    assert not parse_device_name("foo/bar/hw").is_alias
    assert not parse_device_name("dserver/MyServer/hw").is_alias


def test_alias_without_database_is_refused() -> None:
    with pytest.raises(ValueError, match="an alias needs the Tango database"):
        parse_device_name("tango://127.0.0.1:45000/mot01#dbase=no")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("CspSubarray/*", "cspsubarray/*"),
        ("dserver/CspSubarray/*", "cspsubarray/*"),  # as our own headers show servers
        ("DServer/CspSubarray/01", "cspsubarray/01"),
        ("CspSubarray", "cspsubarray/*"),  # a bare executable: all its instances
        ("Csp*", "csp*/*"),
        ("*", "*/*"),
        (" MyServer/hw ", "myserver/hw"),
    ],
)
def test_server_pattern(pattern: str, expected: str) -> None:
    assert server_pattern(pattern) == expected
