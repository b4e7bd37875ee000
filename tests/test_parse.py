"""Parsing QueryEventSystem replies, using replies recorded from real servers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from ska_tango_event_monitor.core.model import (
    EventSystemState,
    NotConnected,
    Publisher,
    PublisherSample,
    SubscriberSample,
    Subscription,
)
from ska_tango_event_monitor.core.parse import ReplyError, decode_reply, parse_reply

HOST = "tango://127.0.0.1:45963"
HW, TOP = "dserver/MyServer/hw", "dserver/MyServer/top"


def load_replies(path: Path) -> list[dict[str, dict[str, Any]]]:
    """For each recorded line: the replies by admin device."""
    with path.open(encoding="utf-8") as file:
        lines = [json.loads(line) for line in file]
    return [{entry["admin"]: entry["reply"] for entry in line["servers"]} for line in lines]


@pytest.fixture
def replies(recorded_scan: Path) -> list[dict[str, dict[str, Any]]]:
    return load_replies(recorded_scan)


def test_publisher_side(replies) -> None:
    state = parse_reply(replies[1][HW])

    assert isinstance(state, EventSystemState)
    assert dict(state.publishers) == {
        f"{HOST}/foo/bar/hw/mode.change": Publisher(f"{HOST}/foo/bar/hw/mode.change", 2),
        f"{HOST}/foo/bar/hw/position.change": Publisher(f"{HOST}/foo/bar/hw/position.change", 11),
    }
    assert state.publishers[f"{HOST}/foo/bar/hw/position.change"].last_pushed == 10
    # client: null -> no subscriptions, channels, not_connected, subscriber samples
    assert replies[1][HW]["client"] is None
    assert dict(state.subscriptions) == {}
    assert dict(state.event_channels) == {}
    assert state.not_connected == ()
    assert state.subscriber_samples is None


def test_publisher_samples_are_typed(replies) -> None:
    raw = replies[1][HW]["server"]["perf"]
    samples = parse_reply(replies[1][HW]).publisher_samples

    assert isinstance(samples, tuple)
    assert len(samples) == len(raw) == 11
    assert samples[0] == PublisherSample(micros_since_last_event=None, push_event_micros=45)
    assert samples[1] == PublisherSample(micros_since_last_event=100428, push_event_micros=91)
    assert all(isinstance(s, PublisherSample) for s in samples)
    assert [s.push_event_micros for s in samples] == [r["push_event_micros"] for r in raw]


def test_subscriber_side(replies) -> None:
    reply = replies[1][TOP]
    state = parse_reply(reply)

    topic = f"{HOST}/foo/bar/hw/mode.idl5_change"
    assert sorted(state.subscriptions) == [topic, f"{HOST}/foo/bar/hw/position.idl5_change"]
    assert state.subscriptions[topic] == Subscription(
        topic=topic,
        channel_name=f"{HOST}/dserver/myserver/hw",
        callback_count=2,
        server_counter=1,
        event_count=1,
        missed_event_count=0,
        discarded_event_count=1,
        last_resubscribed=None,
    )
    position = state.subscriptions[f"{HOST}/foo/bar/hw/position.idl5_change"]
    assert (position.server_counter, position.event_count) == (4, 4)
    assert dict(state.event_channels) == {f"{HOST}/dserver/myserver/hw": "tcp://127.0.0.1:39979"}
    assert state.not_connected == ()
    # this server publishes nothing: empty counters, but perf is on ([])
    assert dict(state.publishers) == {}
    assert state.publisher_samples == ()


def test_subscriber_samples_are_typed(replies) -> None:
    samples = parse_reply(replies[1][TOP]).subscriber_samples

    assert samples is not None and len(samples) == 5
    assert samples[0] == SubscriberSample(
        attr_name="mode",
        micros_since_last_event=None,
        sleep_micros=13248191,
        process_micros=306,
        first_callback_latency_micros=265,
        callback_count=2,
        wake_count=9,
        discarded=False,
    )
    discarded = samples[1]
    assert discarded.discarded is True
    assert discarded.attr_name == ""
    assert discarded.first_callback_latency_micros is None
    assert samples[2].attr_name == "position"
    assert samples[2].process_micros == 300693
    assert all(isinstance(s.discarded, bool) for s in samples)


def test_mappings_are_read_only(replies) -> None:
    state = parse_reply(replies[1][TOP])
    assert isinstance(state.subscriptions, MappingProxyType)
    with pytest.raises(TypeError):
        state.subscriptions["x"] = None  # type: ignore[index]


def test_every_recorded_reply_parses(replies) -> None:
    states = [parse_reply(reply) for line in replies for reply in line.values()]
    assert len(states) == 12
    final = parse_reply(replies[-1][TOP])
    assert final.subscriptions[f"{HOST}/foo/bar/hw/position.idl5_change"].event_count == 20


def test_string_reply_is_decoded(replies) -> None:
    reply = replies[2][TOP]
    assert parse_reply(json.dumps(reply)) == parse_reply(reply)


def test_perf_null_gives_none_and_perf_empty_gives_empty_tuple(replies) -> None:
    reply = copy.deepcopy(replies[0][TOP])
    assert reply["server"]["perf"] == [] and reply["client"]["perf"] == []
    state = parse_reply(reply)
    assert state.publisher_samples == ()
    assert state.subscriber_samples == ()

    reply["server"]["perf"] = None
    reply["client"]["perf"] = None
    state = parse_reply(reply)
    assert state.publisher_samples is None
    assert state.subscriber_samples is None


def test_server_and_client_null() -> None:
    state = parse_reply({"version": 1, "server": None, "client": None})
    assert state == EventSystemState()
    assert state.publisher_samples is None and state.subscriber_samples is None


def test_not_connected_entries() -> None:
    entry = {
        "device": "tango://h:1/foo/bar/absent",
        "attribute": "value",
        "event_type": "change",
        "last_heartbeat": 1700000000,
        "tango_host": "h:1",
    }
    reply = {"version": 1, "server": None, "client": {"not_connected": [entry]}}
    assert parse_reply(reply).not_connected == (
        NotConnected("tango://h:1/foo/bar/absent", "value", "change", 1700000000, "h:1"),
    )


def test_unknown_keys_are_tolerated(replies) -> None:
    reply = copy.deepcopy(replies[1][TOP])
    expected = parse_reply(reply)
    reply["future_top_level"] = {"a": 1}
    reply["server"]["future"] = [1, 2]
    reply["client"]["future"] = None
    for entry in reply["client"]["event_callbacks"].values():
        entry["new_counter"] = 7
    for entry in reply["client"]["event_channels"].values():
        entry["protocol"] = "zmq"
    for sample in reply["client"]["perf"]:
        sample["new_field"] = 1.5
    assert parse_reply(reply) == expected


@pytest.mark.parametrize("version", [2, 0, "1", None])
def test_unknown_version_is_refused(replies, version) -> None:
    reply = copy.deepcopy(replies[1][TOP])
    reply["version"] = version
    with pytest.raises(ReplyError, match=rf"version {version!r}"):
        parse_reply(reply)


def test_missing_version_is_refused() -> None:
    with pytest.raises(ReplyError, match="version None"):
        parse_reply({"server": None, "client": None})


@pytest.mark.parametrize("text", ["", "not json", "{", "{'version': 1}"])
def test_non_json_is_refused(text: str) -> None:
    with pytest.raises(ReplyError, match="not JSON"):
        parse_reply(text)
    with pytest.raises(ReplyError):
        decode_reply(text)


@pytest.mark.parametrize("text", ["[]", "[1, 2]", "1", '"version"', "null", "true"])
def test_non_object_json_is_refused(text: str) -> None:
    with pytest.raises(ReplyError, match="not a JSON object"):
        parse_reply(text)


@pytest.mark.parametrize(
    "key",
    [
        "event_count",
        "callback_count",
        "server_counter",
        "missed_event_count",
        "discarded_event_count",
    ],
)
def test_missing_subscription_counter_is_a_reply_error(replies, key: str) -> None:
    reply = copy.deepcopy(replies[1][TOP])
    del reply["client"]["event_callbacks"][f"{HOST}/foo/bar/hw/mode.idl5_change"][key]
    with pytest.raises(ReplyError, match=key):
        parse_reply(reply)


@pytest.mark.parametrize(
    ("side", "key"),
    [
        ("server", "push_event_micros"),
        ("client", "sleep_micros"),
        ("client", "process_micros"),
        ("client", "callback_count"),
        ("client", "wake_count"),
    ],
)
def test_missing_sample_field_is_a_reply_error(replies, side: str, key: str) -> None:
    reply = copy.deepcopy(replies[1][HW] if side == "server" else replies[1][TOP])
    del reply[side]["perf"][0][key]
    with pytest.raises(ReplyError, match=key):
        parse_reply(reply)


@pytest.mark.parametrize(
    "reply",
    [
        {"version": 1, "server": {"event_counters": {"a.change": "many"}}, "client": None},
        {"version": 1, "server": {"event_counters": [1, 2]}, "client": None},
        {"version": 1, "server": "on", "client": None},
        {"version": 1, "server": None, "client": {"event_callbacks": {"t": None}}},
        {"version": 1, "server": {"event_counters": {}, "perf": [None]}, "client": None},
    ],
)
def test_wrongly_typed_values_are_reply_errors(reply) -> None:
    with pytest.raises(ReplyError, match="malformed"):
        parse_reply(reply)


@pytest.mark.parametrize(
    ("server", "client", "off"),
    [
        ({"event_counters": {}, "perf": None}, None, True),  # publishes, perf off
        ({"event_counters": {}, "perf": []}, None, False),
        (None, {"event_callbacks": {}, "not_connected": [], "perf": None}, True),
        (None, {"event_callbacks": {}, "not_connected": [], "perf": []}, False),
        (None, None, False),  # neither side: nothing to switch on
        ({"event_counters": {}, "perf": []}, {"event_callbacks": {}, "perf": None}, True),
    ],
)
def test_perf_off_is_read_from_the_sides_the_process_has(
    server: dict | None, client: dict | None, off: bool
) -> None:
    state = parse_reply({"version": 1, "server": server, "client": client})
    assert (state.server_present, state.client_present) == (server is not None, client is not None)
    assert state.perf_off is off
