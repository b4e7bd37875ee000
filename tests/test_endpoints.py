"""The advertised ZMQ endpoints (`ZmqEventSubscriptionChange(["info"])`, the reply captured
from a real publisher by scripts/capture_scenarios.py unreachable_endpoint), their text with
what a probe found, and the recording keeping them. No Tango."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from conftest import DATA
from ska_tango_event_monitor.core.endpoints import (
    EndpointCheck,
    check_text,
    none_reachable,
    parse_endpoint_info,
    split_endpoint,
)
from ska_tango_event_monitor.core.session import ServerPoll, Snapshot
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.recording import snapshot_from_json, snapshot_line

INFO = json.loads((DATA / "endpoint_info_reply.json").read_text())


def test_the_real_info_reply_gives_the_heartbeat_and_event_endpoints() -> None:
    checks = parse_endpoint_info(INFO["string"])
    assert [c.role for c in checks] == ["heartbeat", "event"]
    hosts = {split_endpoint(c.endpoint)[0] for c in checks}  # type: ignore[index]
    assert hosts == {"eventlab-pub.internal"}
    assert all(c.resolves is None for c in checks)  # not probed


def test_alternates_are_kept_and_empty_or_foreign_lines_left_out() -> None:
    # as measured with -ORBendPointPublish: the publish address offered as alternates;
    # `Event: ` is empty before a first subscription
    lines = [
        "Heartbeat: tcp://name:41339",
        "Event: ",
        "Alternate heartbeat: tcp://127.0.0.1:41339",
        "Alternate event: tcp://[::1]:36217",
        "Tango version: 1033",
    ]
    checks = parse_endpoint_info(lines)
    assert [(c.role, c.host_port) for c in checks] == [
        ("heartbeat", ("name", 41339)),
        ("alternate heartbeat", ("127.0.0.1", 41339)),
        ("alternate event", ("::1", 36217)),
    ]


def test_what_the_probe_found_reads_in_words() -> None:
    gone = EndpointCheck("heartbeat", "tcp://x:1", False, None, "Name or service not known")
    closed = EndpointCheck("alternate heartbeat", "tcp://127.0.0.2:1", True, False, "127.0.0.2")
    open_ = EndpointCheck("event", "tcp://127.0.0.1:2", True, True, "127.0.0.1")
    assert (
        check_text(gone)
        == "heartbeat tcp://x:1 (does not resolve here: Name or service not known)"
    )
    assert check_text(closed) == "alternate heartbeat tcp://127.0.0.2:1 (127.0.0.2, port closed)"
    assert check_text(open_) == "event tcp://127.0.0.1:2 (127.0.0.1, port open)"
    assert none_reachable([gone, closed]) is True
    assert none_reachable([gone._replace(resolves=None)]) is None  # nothing probed yet
    assert none_reachable([gone, closed._replace(accepts=True)]) is False


def test_the_keep_alive_retry_name_is_the_same_stream() -> None:
    # cppTango's not_connected entry reads idl5_change, then idl5_idl5_change after a retry
    names = ["lab/source/1/value.idl5_change", "lab/source/1/value.idl5_idl5_change"]
    assert {stream_key(n) for n in names} == {stream_key("lab/source/1/value.change")}
    assert stream_key("tango://h:1/A/b/C/value.idl5_idl5_archive") == "a/b/c/value.archive"


def test_a_recording_keeps_the_probe_and_reads_old_lines_without_it() -> None:
    checks = parse_endpoint_info(INFO["string"])
    probed = (checks[0]._replace(resolves=False, detail="Name or service not known"), checks[1])
    reply = {"version": 1, "server": None, "client": None}
    poll = ServerPoll("dserver/a/b", ("a/b/c",), reply=reply, text=json.dumps(reply))
    snapshot = Snapshot(datetime(2026, 12, 1, 12), (replace(poll, endpoints=probed),))
    [back] = snapshot_from_json(json.loads(snapshot_line(snapshot))).polls
    assert back.endpoints == probed
    assert back.reply == reply
    [old] = snapshot_from_json(json.loads(snapshot_line(Snapshot(snapshot.time, (poll,))))).polls
    assert old.endpoints is None
