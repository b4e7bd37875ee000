"""Device names as users type them, on real servers: aliases, and one section per server
whatever the spelling (host, default TANGO_HOST, letter case, `#dbase=no`)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import tango

from conftest import EventLab
from helpers import run_cli, wait_until

pytestmark = pytest.mark.integration

PUB_HEADER, SINK_HEADER = "dserver/EventLab/pub", "dserver/EventLab/sink"


def headers(out: str) -> list[str]:
    """The server section headers, in order, with their dashes stripped."""
    lines = out.splitlines()
    return [line.strip("-") for line in lines if line.startswith("-" * 10) and "dserver/" in line]


@pytest.fixture
def aliases(event_lab: EventLab) -> Iterator[dict[str, str]]:
    """Device aliases, as Sardana and GUIs name devices, removed afterwards."""
    database = tango.Database()
    named = {"src_one": "lab/source/1", "Sink_Demo": "lab/sink/1"}
    for alias, device in named.items():
        database.put_device_alias(device, alias)
    try:
        yield named
    finally:
        for alias in named:
            database.delete_device_alias(alias)


def test_aliases_are_resolved_and_shown_as_typed(
    event_lab: EventLab, aliases: dict[str, str]
) -> None:
    full_alias = f"tango://{event_lab.tango_host}/Sink_Demo"
    status, out, err = run_cli("--count", "1", "src_one", full_alias, "lab/source/2")
    assert (status, err) == (0, "")
    assert headers(out) == [
        f"{PUB_HEADER} (from src_one, lab/source/2)",
        f"{SINK_HEADER} (from Sink_Demo)",
    ]
    assert "lab/source/1/value.change: 0 is the last pushed server counter" in out


def test_a_server_asked_for_by_its_admin_device_is_headed_by_it_alone(
    event_lab: EventLab,
) -> None:
    status, out, err = run_cli("--count", "1", "dserver/EventLab/pub", "lab/sink/1")
    assert (status, err) == (0, "")
    assert headers(out) == [PUB_HEADER, f"{SINK_HEADER} (from lab/sink/1)"]


def test_every_spelling_of_one_server_is_one_section_and_one_poller(
    event_lab: EventLab,
) -> None:
    port = event_lab.tango_host.rsplit(":", 1)[1]
    spellings = [
        "lab/source/1",  # TANGO_HOST is 127.0.0.1:PORT
        f"tango://127.0.0.1:{port}/lab/source/1",
        f"tango://localhost:{port}/lab/source/1",
        f"tango://{socket.gethostname()}:{port}/lab/source/1",
        "LAB/SOURCE/1",
        "Lab/Source/1",
        f"tango://LOCALHOST:{port}/dserver/eventlab/PUB",
    ]
    source = tango.DeviceProxy("lab/source/1")
    source.StartPushing(40)  # events flow: a second poller would take the samples
    try:
        status, out, err = run_cli(
            "--count", "4", "--monitor", "--polling-period", "0.5", *spellings, "lab/sink/1"
        )
    finally:
        source.StopPushing()
    assert (status, err) == (0, "")
    expected = [f"{PUB_HEADER} (from lab/source/1, LAB/SOURCE/1, Lab/Source/1)"]
    expected.append(f"{SINK_HEADER} (from lab/sink/1)")
    assert headers(out) == expected * 4
    assert "samples stolen" not in out and "another client" not in out
    assert "Push Time" in out  # the publisher's samples came back to the one poller
    summary = out.split("Summary")[1]
    assert "- Findings in 4 snapshot(s)" in summary


def test_unknown_alias_is_an_unknown_device(event_lab: EventLab) -> None:
    status, out, err = run_cli("--count", "1", "lab/source/1", "mot01")
    assert (status, out) == (4, "")
    assert err == (
        "ska-tango-event-monitor: error: unknown device alias mot01: not defined in the "
        f"Tango database at {event_lab.tango_host}\n"
    )


def test_no_database_spellings_are_one_server(
    no_database_pair: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANGO_HOST", raising=False)  # as test_no_database_servers
    source, sink = no_database_pair
    port = source.split(":")[2].split("/")[0]
    spellings = [
        source,
        f"tango://localhost:{port}/nodb/source/1#dbase=no",
        f"tango://127.0.0.1:{port}/NODB/Source/1#dbase=no",
    ]
    tango.DeviceProxy(source).Push(2)
    wait_until(
        lambda: tango.DeviceProxy(sink).read_attribute("received").value == 3,
        what="2 events and the subscription's first read",
    )
    status, out, err = run_cli("--count", "1", *spellings, sink)
    assert (status, err) == (0, "")
    assert headers(out) == [
        "dserver/EventLab/nodbpub (from nodb/source/1, NODB/Source/1)",
        "dserver/EventLab/nodbsink (from nodb/sink/1)",
    ]
    assert out.count("nodb/source/1/value.change: 2 is the last pushed server counter") == 1
