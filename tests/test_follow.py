"""Following the publishers and telling databases apart, on recorded replies (pure: no Tango)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ska_tango_event_monitor.core.follow import publisher_admins
from ska_tango_event_monitor.core.names import database_pattern
from ska_tango_event_monitor.core.parse import parse_reply
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll, Snapshot
from ska_tango_event_monitor.core.titles import database_of, distinct_titles
from ska_tango_event_monitor.outputs.json_lines import report_to_json
from ska_tango_event_monitor.outputs.text import render_snapshot
from ska_tango_event_monitor.recording import read_recording, snapshot_from_json, snapshot_line


def first_reply(path: Path, admin: str) -> dict:
    line = json.loads(path.read_text().splitlines()[-1])
    return next(entry["reply"] for entry in line["servers"] if entry["admin"] == admin)


def test_the_tutorial_subscriber_names_its_publisher(recorded_scan: Path) -> None:
    state = parse_reply(first_reply(recorded_scan, "dserver/MyServer/top"))

    assert len(state.subscriptions) == 2  # position and mode, of one server: named once
    assert publisher_admins(state) == ["tango://127.0.0.1:45963/dserver/myserver/hw"]


def test_a_publisher_alone_names_none(recorded_scan: Path) -> None:
    assert publisher_admins(parse_reply(first_reply(recorded_scan, "dserver/MyServer/hw"))) == []


def _reply_with_channels(*channels: str) -> dict:
    callbacks = {
        f"tango://h:1/a/b/c/attr{i}.idl5_change": {
            "channel_name": channel,
            "callback_count": 1,
            "server_counter": 1,
            "event_count": 1,
            "missed_event_count": 0,
            "discarded_event_count": 0,
            "last_resubscribed": None,
        }
        for i, channel in enumerate(channels)
    }
    client = {"event_callbacks": callbacks, "not_connected": [], "event_channels": {}}
    return {"version": 1, "server": None, "client": {**client, "perf": None}}


def test_unreachable_channel_names_are_not_followed() -> None:
    state = parse_reply(
        _reply_with_channels(
            "tango://otherhost:10000/dserver/Pub/1",  # another database: followed
            "TANGO://OTHERHOST:10000/DSERVER/PUB/1",  # the same, another spelling: once
            "tango://myhost:0/dserver/nodb/1#dbase=no",  # port 0: cannot be reached
            "tango://myhost:12345/dserver/nodb/2#dbase=no",  # no database, a real port
            "dserver/Pub/2",  # no host: whose database?
            "tango://h:1/foo/bar/baz",  # not an admin device
            "",
        )
    )

    assert publisher_admins(state) == [
        "tango://otherhost:10000/dserver/Pub/1",
        "tango://myhost:12345/dserver/nodb/2#dbase=no",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MyServer/*", (None, None, "myserver/*")),
        ("tango://127.0.0.1:10000/MyServer/*", ("127.0.0.1", 10000, "myserver/*")),
        ("TANGO://db-b:20000/dserver/Pool/*", ("db-b", 20000, "pool/*")),
        ("tango://db-b:20000/Pool", ("db-b", 20000, "pool/*")),
    ],
)
def test_a_server_pattern_may_name_its_database(text: str, expected: tuple) -> None:
    assert database_pattern(text) == expected


def poll(admin: str, tango_host: str | None = None, **kwargs: object) -> ServerPoll:
    return ServerPoll(admin, (), tango_host=tango_host, **kwargs)  # type: ignore[arg-type]


def test_headers_keep_the_database_only_where_names_clash() -> None:
    polls = [
        poll("tango://127.0.0.1:10000/dserver/EventLab/pub", "127.0.0.1:10000"),
        poll("tango://127.0.0.1:20000/dserver/eventlab/PUB", "127.0.0.1:20000"),
        poll("tango://127.0.0.1:20000/dserver/EventLab/sink", "127.0.0.1:20000"),
        poll("dserver/Other/1", "localhost:10000"),
    ]

    assert distinct_titles(polls) == [
        "tango://127.0.0.1:10000/dserver/EventLab/pub",
        "tango://127.0.0.1:20000/dserver/eventlab/PUB",
        "dserver/EventLab/sink",
        "dserver/Other/1",
    ]


def test_two_spellings_of_one_database_are_no_clash() -> None:
    # the adapter gives every spelling of a database one tango_host (the first one met)
    polls = [poll("dserver/A/1", "localhost:10000"), poll("dserver/B/1", "localhost:10000")]

    assert distinct_titles(polls) == ["dserver/A/1", "dserver/B/1"]


def test_a_recording_without_databases_reads_them_from_the_names() -> None:
    old = poll("tango://db-a:10000/dserver/A/1")  # no tango_host recorded
    nodb = poll("tango://h:123/dserver/A/1#dbase=no")

    assert database_of(old) == "db-a:10000"
    assert database_of(poll("dserver/A/1")) is None
    assert database_of(nodb) is None
    assert distinct_titles([old, nodb]) == [
        "tango://db-a:10000/dserver/A/1",
        "tango://h:123/dserver/A/1",
    ]


def test_a_followed_server_is_marked_in_its_header() -> None:
    followed = poll(
        "tango://127.0.0.1:45963/dserver/myserver/hw",
        "127.0.0.1:45963",
        followed_from="dserver/MyServer/top",
    )

    assert followed.title == "dserver/myserver/hw (followed from dserver/MyServer/top)"


def test_followed_from_and_the_database_survive_a_recording(recorded_scan: Path) -> None:
    recorded = next(read_recording(recorded_scan))
    top, hw = recorded.polls[1], recorded.polls[0]
    assert (top.admin, hw.admin) == ("dserver/MyServer/top", "dserver/MyServer/hw")
    live = Snapshot(
        recorded.time,
        (
            poll(top.admin, "127.0.0.1:45963", reply=top.reply),
            poll(hw.admin, "127.0.0.1:45963", reply=hw.reply, followed_from=top.admin),
        ),
    )

    again = snapshot_from_json(json.loads(snapshot_line(live)))

    assert again == live
    report = MonitorSession().update(again)
    text = render_snapshot(report)
    assert f"{'dserver/MyServer/hw (followed from dserver/MyServer/top)':-^120}" in text
    servers = report_to_json(report)["servers"]
    assert [(s["tango_host"], s["followed_from"]) for s in servers] == [
        ("127.0.0.1:45963", None),
        ("127.0.0.1:45963", "dserver/MyServer/top"),
    ]


def test_a_recording_made_before_prints_as_before(recorded_scan: Path) -> None:
    recorded = next(read_recording(recorded_scan))

    assert [(p.tango_host, p.followed_from) for p in recorded.polls] == [(None, None)] * 2
    assert '"tango_host"' not in snapshot_line(recorded)
    assert isinstance(recorded.time, datetime)


def test_servers_of_one_name_in_two_databases_are_two_label_sets(recorded_scan: Path) -> None:
    from ska_tango_event_monitor.prometheus.rows import pushed_rows, up_rows
    from ska_tango_event_monitor.prometheus.state import LatestSnapshot

    recorded = next(read_recording(recorded_scan))
    hw = recorded.polls[0]
    twins = tuple(
        poll(f"tango://127.0.0.1:{port}/dserver/MyServer/hw", f"127.0.0.1:{port}", reply=hw.reply)
        for port in (10000, 20000)
    )
    session, latest = MonitorSession(), LatestSnapshot()
    report = session.update(Snapshot(recorded.time, twins))
    latest.update(Snapshot(recorded.time, twins), report, report.states)

    assert sorted(up_rows(latest.current)) == [
        ("dserver/MyServer/hw", "127.0.0.1:10000"),
        ("dserver/MyServer/hw", "127.0.0.1:20000"),
    ]
    pushed = pushed_rows(latest.current)
    assert len(pushed) == 2 * len(parse_reply(hw.reply).publishers)
    assert [s.title for s in report.servers] == [
        "tango://127.0.0.1:10000/dserver/MyServer/hw",
        "tango://127.0.0.1:20000/dserver/MyServer/hw",
    ]
