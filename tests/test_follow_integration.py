"""Following the publishers, and two Tango databases, on real servers (sqlite databases)."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tango

from conftest import SERVERS, EventLab
from helpers import run_cli, wait_until
from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)
from ska_tango_event_monitor.recording import read_recording

pytestmark = pytest.mark.integration

FOLLOWED = "dserver/eventlab/pub (followed from dserver/EventLab/sink)"


def headers(text: str) -> list[str]:
    return [line.strip("-") for line in text.splitlines() if line.startswith("-" * 10)]


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def pushing(event_lab: EventLab) -> Iterator[EventLab]:
    source = tango.DeviceProxy("lab/source/1")
    source.StartPushing(20.0)
    try:
        yield event_lab
    finally:
        source.StopPushing()


def test_given_only_the_subscriber_its_publisher_is_followed(
    pushing: EventLab, tmp_path: Path
) -> None:
    recording = tmp_path / "follow.jsonl"
    args = ("--count", "3", "--polling-period", "0.5", "-o", str(recording), "lab/sink/1")

    status, out, err = run_cli(*args)

    assert (status, err) == (0, "")
    snapshots = out.split("\n\n\n")[:3]  # then the summary
    assert headers(snapshots[0])[:1] == ["dserver/EventLab/sink (from lab/sink/1)"]
    assert FOLLOWED not in headers(snapshots[0])  # learnt from the first reply
    for later in snapshots[1:]:
        assert headers(later)[:2] == ["dserver/EventLab/sink (from lab/sink/1)", FOLLOWED]
    # the followed publisher's stream is joined to the subscription: rates both sides
    assert re.search(r"lab/source/1/value\.change: [\d.]+ events/s pushed", snapshots[2])
    assert re.search(r"lab/source/1/value\.idl5_change: [\d.]+ events/s processed", out)
    # the recording says so, and the replay shows the same headers
    polls = [s.polls for s in read_recording(recording)]
    assert [p.followed_from for p in polls[-1]] == [None, "dserver/EventLab/sink"]
    assert polls[-1][1].tango_host == pushing.tango_host
    status, replayed, _ = run_cli("--replay", str(recording))
    assert status == 0
    assert [headers(s) for s in replayed.split("\n\n\n")[:3]] == [headers(s) for s in snapshots]


def test_json_names_the_followed_server_and_its_backlog(pushing: EventLab) -> None:
    status, out, _ = run_cli("--count", "2", "--polling-period", "0.5", "--format", "json",
                             "lab/sink/1")  # fmt: skip

    assert status == 0
    last = json_lines(out)[1]
    servers = {s["admin"]: s for s in last["servers"]}
    pub = servers["dserver/eventlab/pub"]
    assert (pub["followed_from"], pub["tango_host"]) == (
        "dserver/EventLab/sink",
        pushing.tango_host,
    )
    assert servers["dserver/EventLab/sink"]["followed_from"] is None
    assert {(b["subscriber"], b["publisher"]) for b in last["backlogs"]} == {
        ("dserver/EventLab/sink", "dserver/eventlab/pub")
    }


def test_no_follow_polls_only_the_servers_given(pushing: EventLab) -> None:
    status, out, _ = run_cli(
        "--count", "2", "--polling-period", "0.5", "--no-follow", "--format", "json",
        "lab/sink/1",
    )  # fmt: skip

    assert status == 0
    assert [[s["admin"] for s in line["servers"]] for line in json_lines(out)[:2]] == [
        ["dserver/EventLab/sink"]
    ] * 2
    assert json_lines(out)[1]["backlogs"] == []


def test_a_followed_server_that_stops_is_a_server_that_does_not_answer(
    event_lab: EventLab,
) -> None:
    status, out, err = run_cli("--count", "1", "--polling-period", "0.5", "lab/sink/1")
    assert status == 0
    event_lab.publisher.stop()

    status, out, err = run_cli("--count", "3", "--polling-period", "0.5", "lab/sink/1")

    assert status == 0, err
    last = out.split("\n\n\n")[2]
    assert headers(last)[:2] == ["dserver/EventLab/sink (from lab/sink/1)", FOLLOWED]
    followed = last.split(FOLLOWED)[1].splitlines()[1]
    assert followed.startswith("- Error: ")


@dataclass
class TwoDatabases:
    a: str  # TANGO_HOST's database (the EventLab fixture's)
    b: str  # another one, addressed by full names


@pytest.fixture
def second_database(event_lab: EventLab, tmp_path: Path) -> Iterator[TwoDatabases]:
    """Database B with a server named like A's publisher (EventLab/pub) and a subscriber
    (EventLab/xsink) of A's lab/source/1, subscribed by its full name."""
    database = LocalTangoDatabase(log_path=tmp_path / "db-b.log").start()
    source_in_a = f"tango://{event_lab.tango_host}/lab/source/1"
    processes = []
    try:
        database.register(
            DeviceRegistration("EventLab/pub", "EventSource", "labb/source/1"),
            DeviceRegistration("EventLab/xsink", "EventSink", "labb/sink/1",
                               {"sources": [source_in_a]}),
        )  # fmt: skip
        for instance, device in (("pub", "labb/source/1"), ("xsink", "labb/sink/1")):
            command = [sys.executable, str(SERVERS / "event_lab.py"), instance]
            log = tmp_path / f"b-{instance}.log"
            process = DeviceServerProcess(command, database.tango_host, log)
            processes.append(process)
            process.start().wait_ready([f"tango://{database.tango_host}/{device}"], timeout=30)
        yield TwoDatabases(event_lab.tango_host, database.tango_host)
    finally:
        for process in reversed(processes):
            process.stop()
        database.stop()


def test_a_subscriber_in_another_database_is_followed_to_its_publisher(
    second_database: TwoDatabases,
) -> None:
    a, b = second_database.a, second_database.b
    tango.DeviceProxy("lab/source/1").Push(3)
    sink = tango.DeviceProxy(f"tango://{b}/labb/sink/1")
    wait_until(lambda: sink.read_attribute("received").value >= 3, what="B's sink to receive")

    status, out, err = run_cli(
        "--count", "2", "--polling-period", "0.5", "--format", "json",
        f"tango://{b}/labb/sink/1",
    )  # fmt: skip

    assert (status, err) == (0, "")
    servers = json_lines(out)[1]["servers"]
    assert [(s["admin"], s["tango_host"], s["followed_from"]) for s in servers] == [
        ("dserver/EventLab/xsink", b, None),
        ("dserver/eventlab/pub", a, "dserver/EventLab/xsink"),
    ]
    assert [(b_["last_pushed"], b_["last_received"]) for b_ in json_lines(out)[1]["backlogs"]] == [
        (3, 3)
    ]


def test_servers_of_one_name_in_two_databases_stay_apart(
    second_database: TwoDatabases, tmp_path: Path
) -> None:
    a, b = second_database.a, second_database.b
    metrics = tmp_path / "metrics.prom"

    status, out, err = run_cli(
        "--count", "2", "--polling-period", "0.5", "--prometheus-textfile", str(metrics),
        "--server", f"tango://{b}/EventLab/*", "--server", "EventLab/pub",
    )  # fmt: skip

    assert (status, err) == (0, "")
    last = out.split("\n\n\n")[1]
    assert headers(last)[:3] == [
        f"tango://{b}/dserver/EventLab/pub",
        "dserver/EventLab/xsink",
        f"tango://{a}/dserver/EventLab/pub",
    ]
    up = sorted(re.findall(r"^tango_event_server_up\{(.*)\} 1\.0$", metrics.read_text(), re.M))
    assert up == sorted(
        [
            f'server="dserver/EventLab/pub",tango_host="{a}"',
            f'server="dserver/EventLab/pub",tango_host="{b}"',
            f'server="dserver/EventLab/xsink",tango_host="{b}"',
        ]
    )


def test_list_finds_the_servers_of_both_databases(second_database: TwoDatabases) -> None:
    b = second_database.b

    status, out, err = run_cli(
        "--list", "--server", f"TANGO://{b}/eventlab/*", "--server", "EventLab/*"
    )

    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"tango://{b}/dserver/EventLab/pub",  # a name of both databases: with its own
        "dserver/EventLab/xsink",
        f"tango://{second_database.a}/dserver/EventLab/pub",
        "dserver/EventLab/sink",
    ]
