"""Device names as users type them, on real servers: aliases, admin devices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import tango

from conftest import EventLab
from helpers import run_cli

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


def test_unknown_alias_is_an_unknown_device(event_lab: EventLab) -> None:
    status, out, err = run_cli("--count", "1", "lab/source/1", "mot01")
    assert (status, out) == (4, "")
    assert err == (
        "ska-tango-event-monitor: error: unknown device alias mot01: not defined in the "
        f"Tango database at {event_lab.tango_host}\n"
    )
