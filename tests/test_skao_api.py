"""The SKAO tool's names (`QueryEventSystemResponse`, the perf summaries) on real replies.

Every field is checked against the raw JSON of replies recorded from real servers, and the
summaries against the `--monitor` tables of the same samples. A plain client process, live,
gives the reply whose `server` is null.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ska_tango_event_monitor as stem
from ska_tango_event_monitor.core.model import PublisherSample, SubscriberSample
from ska_tango_event_monitor.core.performance import (
    PerformanceTable,
    publisher_table,
    subscriber_table,
)
from ska_tango_event_monitor.core.statistics import Summary
from ska_tango_event_monitor.recording import read_recording

DATA = Path(__file__).parent / "data"
SCAN = DATA / "slow_callback_scan.jsonl"  # hw publishes (client null), top subscribes
HW, TOP = "dserver/MyServer/hw", "dserver/MyServer/top"
# the tables show durations in these units; back to microseconds
TO_MICROS = {"μs": 1.0, "ms": 1e3, "s": 1e6, None: 1.0}


def replies(name: str) -> list[dict[str, dict[str, Any]]]:
    """For each poll of a recording in tests/data: the replies by admin device."""
    return [
        {poll.admin: poll.reply for poll in snapshot.polls if poll.reply is not None}
        for snapshot in read_recording(DATA / name)
    ]


def all_replies(*names: str) -> list[dict[str, Any]]:
    return [reply for name in names for poll in replies(name) for reply in poll.values()]


# -- every field against the raw JSON -----------------------------------------------------------


def check_server(response: stem.QueryEventSystemResponse, raw: dict[str, Any]) -> None:
    if raw["server"] is None:
        assert response.server is None
        return
    assert response.server is not None
    assert dict(response.server.event_counters) == raw["server"]["event_counters"]
    perf = response.server.perf
    if raw["server"]["perf"] is None:
        assert perf is None
    else:
        assert isinstance(perf, list)
        assert all(isinstance(sample, stem.ServerPerfSample) for sample in perf)
        assert [sample._asdict() for sample in perf] == raw["server"]["perf"]


def check_client(response: stem.QueryEventSystemResponse, raw: dict[str, Any]) -> None:
    if raw["client"] is None:
        assert response.client is None
        return
    client, expected = response.client, raw["client"]
    assert client is not None
    callbacks = {
        topic: {key: value for key, value in sub._asdict().items() if key != "topic"}
        for topic, sub in client.event_callbacks.items()
    }
    assert callbacks == expected["event_callbacks"]
    assert all(topic == sub.topic for topic, sub in client.event_callbacks.items())
    assert [dataclasses.asdict(entry) for entry in client.not_connected] == (
        expected["not_connected"]
    )
    assert dict(client.event_channels) == {
        name: channel["endpoint"] for name, channel in expected["event_channels"].items()
    }
    if expected["perf"] is None:
        assert client.perf is None
    else:
        assert isinstance(client.perf, list)
        assert all(isinstance(sample, stem.ClientPerfSample) for sample in client.perf)
        assert [sample._asdict() for sample in client.perf] == expected["perf"]


def check_response(raw: dict[str, Any]) -> stem.QueryEventSystemResponse:
    """The reply read from its decoded JSON and from its text, checked field by field."""
    response = stem.QueryEventSystemResponse.from_json(raw)
    assert stem.QueryEventSystemResponse.from_json(json.dumps(raw)) == response
    assert response.version == raw["version"] == 1
    check_server(response, raw)
    check_client(response, raw)
    return response


def test_the_samples_are_the_models_samples() -> None:
    assert stem.ServerPerfSample is PublisherSample
    assert stem.ClientPerfSample is SubscriberSample
    # named as in the JSON
    assert stem.ServerPerfSample._fields == ("micros_since_last_event", "push_event_micros")
    assert stem.ClientPerfSample._fields == (
        "attr_name",
        "micros_since_last_event",
        "sleep_micros",
        "process_micros",
        "first_callback_latency_micros",
        "callback_count",
        "wake_count",
        "discarded",
    )


def test_a_server_that_publishes_and_subscribes() -> None:
    raw = replies("scenario_perf_first_poll.jsonl.gz")[1]["dserver/RingNode/00"]
    response = check_response(raw)

    assert response.server is not None and response.client is not None
    assert len(response.server.event_counters) == 3
    assert response.server.perf is not None and len(response.server.perf) == 12
    assert len(response.client.event_callbacks) == 3
    assert response.client.perf is not None and len(response.client.perf) == 6


def test_a_publisher_only_server_has_client_none() -> None:
    raw = replies(SCAN.name)[1][HW]
    response = check_response(raw)

    assert raw["client"] is None and response.client is None
    assert response.server is not None
    assert (
        response.server.event_counters["tango://127.0.0.1:45963/foo/bar/hw/position.change"] == 11
    )


def test_a_subscriber_that_publishes_nothing_has_an_empty_server_not_none() -> None:
    raw = replies(SCAN.name)[1][TOP]
    response = check_response(raw)

    assert response.server == stem.ServerResponse(event_counters={}, perf=[])


def test_perf_is_none_while_monitoring_is_off() -> None:
    poll = replies("tutorial_first_look.jsonl.gz")[0]
    hw, top = check_response(poll[HW]), check_response(poll[TOP])

    assert hw.server is not None and hw.server.perf is None
    assert top.client is not None and top.client.perf is None
    assert len(top.client.event_callbacks) == 2


def test_a_discarded_sample_is_kept_with_its_fields() -> None:
    raw = replies(SCAN.name)[1][TOP]
    response = check_response(raw)

    assert response.client is not None and response.client.perf is not None
    discarded = [sample for sample in response.client.perf if sample.discarded]
    assert discarded == [
        stem.ClientPerfSample("", 316, 7, 3, None, 0, 1, True),
    ]


def test_not_connected_subscriptions() -> None:
    raw = replies("scenario_not_connected.jsonl")[1]["dserver/EventLab/sink"]
    response = check_response(raw)

    assert response.client is not None
    assert [(entry.device, entry.attribute) for entry in response.client.not_connected] == [
        ("lab/ghost/1", "value")
    ]


RECORDINGS = sorted(path.name for path in DATA.glob("*.jsonl*"))


@pytest.mark.parametrize("name", RECORDINGS)
def test_every_recorded_reply(name: str) -> None:
    for raw in all_replies(name):
        check_response(raw)


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, message",
    [
        ("not json", "reply is not JSON"),
        ("[1, 2]", "reply is not a JSON object"),
        ([1, 2], "reply is not a JSON object"),
        ({"server": None, "client": None}, "unsupported QueryEventSystem reply version None"),
    ],
)
def test_what_is_not_a_reply_is_refused(reply: object, message: str) -> None:
    with pytest.raises(stem.ReplyError, match=message):
        stem.QueryEventSystemResponse.from_json(reply)


def test_another_version_or_a_wrong_shape_is_refused() -> None:
    raw = replies(SCAN.name)[1][TOP]
    newer = copy.deepcopy(raw) | {"version": 2}
    with pytest.raises(stem.ReplyError, match="unsupported QueryEventSystem reply version 2"):
        stem.QueryEventSystemResponse.from_json(newer)
    cut = copy.deepcopy(raw)
    del cut["client"]["perf"][0]["sleep_micros"]
    with pytest.raises(stem.ReplyError, match="malformed QueryEventSystem reply"):
        stem.QueryEventSystemResponse.from_json(json.dumps(cut))


# -- the summaries are the --monitor tables -----------------------------------------------------


def in_micros(table: PerformanceTable | None) -> dict[str, Summary]:
    """The rows of a table by label, scaled back to microseconds."""
    if table is None:
        return {}
    return {row.label: row.summary.scaled(TO_MICROS[row.unit]) for row in table.rows}


def assert_same(summaries: dict[str, Summary | None], rows: dict[str, Summary]) -> None:
    present = {label: summary for label, summary in summaries.items() if summary is not None}
    assert present.keys() == rows.keys()
    for label, summary in present.items():
        row = rows[label]
        assert summary.count == row.count, label
        for field in ("mean", "standard_error", "median", "minimum", "maximum"):
            assert getattr(summary, field) == pytest.approx(getattr(row, field)), (label, field)
        assert summary.percentiles.keys() == row.percentiles.keys(), label
        for p, value in summary.percentiles.items():
            assert value == pytest.approx(row.percentiles[p]), (label, p)


def server_labels(summary: stem.ServerPerfSummary) -> dict[str, Summary | None]:
    return {"Event Gaps": summary.event_gaps, "Push Time": summary.push_time}


def client_labels(summary: stem.ClientPerfSummary) -> dict[str, Summary | None]:
    labels: dict[str, Summary | None] = {
        "Event Gaps": summary.event_gaps,
        "Sleep Time": summary.sleep_time,
        "Latency": summary.latency,
        "Callbacks called": summary.callbacks_called,
        "Wake Count": summary.wake_count,
    }
    for attr_name, processing in summary.processing_time.items():
        labels[f"{attr_name} Processing Time"] = processing
    return labels


def check_summaries(response: stem.QueryEventSystemResponse) -> None:
    if response.server is not None and response.server.perf is not None:
        samples = response.server.perf
        summary = stem.ServerPerfSummary.from_samples(samples)
        assert_same(server_labels(summary), in_micros(publisher_table(samples)))
    if response.client is not None and response.client.perf is not None:
        samples = response.client.perf
        summary = stem.ClientPerfSummary.from_samples(samples)
        assert_same(client_labels(summary), in_micros(subscriber_table(samples)))


@pytest.mark.parametrize("name", RECORDINGS)
def test_the_summaries_of_each_reply_are_its_tables(name: str) -> None:
    for raw in all_replies(name):
        check_summaries(stem.QueryEventSystemResponse.from_json(raw))


def test_the_summaries_of_a_whole_run_are_its_tables() -> None:
    """Samples of every poll of a server together, as a script gathers them."""
    responses = [stem.QueryEventSystemResponse.from_json(poll[TOP]) for poll in replies(SCAN.name)]
    samples = [s for response in responses if response.client for s in response.client.perf or ()]
    summary = stem.ClientPerfSummary.from_samples(samples)

    assert len(samples) == 20
    assert_same(client_labels(summary), in_micros(subscriber_table(samples)))
    # the rogue's 0.3 s position callbacks, in microseconds
    assert summary.processing_time["position"].mean == pytest.approx(300_000, abs=5_000)
    assert summary.latency is not None and summary.latency.maximum > 3e6


def test_discarded_samples_count_only_in_callbacks_and_wakes() -> None:
    client = stem.QueryEventSystemResponse.from_json(replies(SCAN.name)[1][TOP]).client
    assert client is not None and client.perf is not None
    discarded = [sample for sample in client.perf if sample.discarded]
    summary = stem.ClientPerfSummary.from_samples(discarded)

    assert summary.event_gaps is summary.sleep_time is summary.latency is None
    assert dict(summary.processing_time) == {}
    assert summary.callbacks_called is not None and summary.callbacks_called.maximum == 0
    assert summary.wake_count is not None and summary.wake_count.count == 1
    assert_same(client_labels(summary), in_micros(subscriber_table(discarded)))
    # with the processed ones: the discarded sample's 316 µs gap is left out
    everything = stem.ClientPerfSummary.from_samples(client.perf)
    assert everything.event_gaps is not None and everything.event_gaps.count == 3
    assert everything.event_gaps.minimum == 100240
    assert everything.wake_count is not None and everything.wake_count.count == 5


def test_no_sample_gives_no_summary() -> None:
    server = stem.QueryEventSystemResponse.from_json(replies(SCAN.name)[0][HW]).server
    assert server is not None and server.perf == []
    assert stem.ServerPerfSummary.from_samples(server.perf) == stem.ServerPerfSummary(None, None)
    first_push = stem.ServerPerfSummary.from_samples(
        stem.QueryEventSystemResponse.from_json(replies(SCAN.name)[1][HW]).server.perf[:1]
    )
    assert first_push.event_gaps is None  # the first push has no gap
    assert first_push.push_time is not None and first_push.push_time.mean == 45
    empty = stem.ClientPerfSummary.from_samples([])
    assert empty == stem.ClientPerfSummary(None, None, None, None, None, {})


# -- live: a plain client process has no server part --------------------------------------------

CLIENT_PROCESS = """
import time
import tango

api = tango.ApiUtil.instance()
print(api.query_event_system(), flush=True)
api.enable_event_system_perf_mon(True)
source = tango.DeviceProxy("lab/source/1")
got = []
subscription = source.subscribe_event("value", tango.EventType.CHANGE_EVENT, got.append)
source.Push(3)
deadline = time.monotonic() + 15
while len(got) < 4 and time.monotonic() < deadline:  # the first read, then the 3 pushes
    time.sleep(0.05)
print(api.query_event_system(), flush=True)
source.unsubscribe_event(subscription)
"""


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_a_plain_client_process_has_server_none(event_lab, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_PROCESS],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TANGO_HOST": event_lab.tango_host},
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.splitlines()

    idle = stem.QueryEventSystemResponse.from_json(before)
    assert (idle.version, idle.server, idle.client) == (1, None, None)

    raw = json.loads(after)
    response = check_response(raw)
    assert response.server is None and response.client is not None
    (topic,) = [t for t in response.client.event_callbacks if "/lab/source/1/value." in t]
    assert topic.endswith("/lab/source/1/value.idl5_change")
    assert response.client.event_callbacks[topic].event_count >= 3
    assert response.client.perf is not None and len(response.client.perf) >= 3
    check_summaries(response)


# -- exported and documented --------------------------------------------------------------------

SKAO_NAMES = (
    "QueryEventSystemResponse",
    "ServerResponse",
    "ClientResponse",
    "ServerPerfSample",
    "ClientPerfSample",
    "ServerPerfSummary",
    "ClientPerfSummary",
)


def test_the_names_are_exported_and_documented() -> None:
    api = (Path(__file__).parents[1] / "docs" / "api.md").read_text()
    section = api.split("## The SKAO tool's names", 1)[1].split("\n## ", 1)[0]
    for name in SKAO_NAMES:
        assert name in stem.__all__, name
        assert f"`{name}`" in section or f"ska_tango_event_monitor.{name}\n" in section, name
