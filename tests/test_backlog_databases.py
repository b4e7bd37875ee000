"""The backlog join across Tango databases (issue 14 item 5: two control systems with the same
server names never merge), on the real recording of a subscriber in one database falling
behind a publisher in another, copied as a second pair of databases with the same names."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from conftest import DATA
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.flow import Backlog, ServerView, backlogs, publisher_index
from ska_tango_event_monitor.core.parse import parse_reply
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll, Snapshot
from ska_tango_event_monitor.core.streams import same_machine
from ska_tango_event_monitor.recording import snapshot_from_json, snapshot_to_json

RECORDING = DATA / "scenario_cross_database_behind.jsonl"
# as recorded: the publisher's database (A) and the subscriber's (S)
A, S = "tango://127.0.0.1:51903/", "tango://127.0.0.1:43817/"
# the copy: the same server and device names in two other databases
B, T = "tango://127.0.0.1:61903/", "tango://127.0.0.1:63817/"
PUB, SINK = "dserver/EventLab/pub", "dserver/EventLab/sink"
TOPIC = "lab/source/1/value.idl5_change"


def recorded() -> list[dict[str, Any]]:
    return [json.loads(line) for line in RECORDING.read_text().splitlines()]


def copied(line: dict[str, Any]) -> list[dict[str, Any]]:
    """The line's servers moved to databases B and T, the publisher's counters tripled (so
    that a join to the wrong one shows)."""
    text = json.dumps(line["servers"]).replace(A, B).replace(S, T)
    servers: list[dict[str, Any]] = json.loads(text)
    for server in servers:
        counters = server["reply"]["server"]["event_counters"]
        server["reply"]["server"]["event_counters"] = {k: 3 * v for k, v in counters.items()}
    return servers


def two_systems(spell: dict[str, str] | None = None) -> Iterator[Snapshot]:
    """Both systems polled together; `spell` rewrites names in the first system's replies
    (another spelling of a host, as another process writes it)."""
    for line in recorded():
        text = json.dumps(line["servers"])
        for old, new in (spell or {}).items():
            text = text.replace(old, new)
        yield snapshot_from_json({**line, "servers": [*json.loads(text), *copied(line)]})


def joins(snapshot: Snapshot) -> list[Backlog]:
    views = [ServerView(p.admin, parse_reply(p.reply or {})) for p in snapshot.polls]
    return backlogs(views, publisher_index(views))


def joined_to(snapshot: Snapshot) -> dict[str, str]:
    """Each subscriber's publisher (admin devices), as the join made them."""
    return {flow.subscriber: flow.publisher for flow in joins(snapshot)}


def poll_json(poll: ServerPoll) -> dict[str, Any]:
    servers: list[dict[str, Any]] = snapshot_to_json(Snapshot(datetime.now(), (poll,)))["servers"]
    return servers[0]


def last(snapshots: Iterator[Snapshot]) -> Snapshot:
    return list(snapshots)[-1]


def test_each_subscriber_is_joined_to_the_publisher_of_its_own_database() -> None:
    flows = {flow.subscriber: flow for flow in joins(last(two_systems()))}
    assert flows[S + SINK].publisher == A + PUB
    assert flows[T + SINK].publisher == B + PUB
    # the counters are each database's own: B's publisher pushed three times as many
    assert flows[T + SINK].last_pushed + 1 == 3 * (flows[S + SINK].last_pushed + 1)
    assert flows[S + SINK].last_received == flows[T + SINK].last_received


def test_the_lag_and_verdict_are_those_of_one_system_alone() -> None:
    """The first system's stream health is the same with the second monitored beside it."""
    alone, both = MonitorSession(Analyser()), MonitorSession(Analyser())
    for line, together in zip(recorded(), two_systems(), strict=True):
        expected = alone.update(snapshot_from_json(line)).health
        health = both.update(together).health
        assert [h for h in health if h.subscriber == S + SINK] == list(expected)
        assert {h.publisher for h in health if h.subscriber == T + SINK} <= {B + PUB}
    assert expected[0].verdict is not None  # the recording is long enough to be judged


def test_a_loopback_spelling_of_the_database_joins_the_same_machine() -> None:
    """The subscriber writes its publisher's host as `localhost`, the publisher 127.0.0.1."""
    spell = {f"{A}{TOPIC}": f"tango://localhost:51903/{TOPIC}"}
    assert joined_to(last(two_systems(spell)))[S + SINK] == A + PUB


def test_a_host_name_that_nothing_ties_to_a_publisher_is_left_unjoined() -> None:
    """`ctl01` may be another machine with a database on port 51903: not guessed."""
    spell = {f"{A}{TOPIC}": f"tango://ctl01:51903/{TOPIC}"}
    found = joined_to(last(two_systems(spell)))
    assert S + SINK not in found
    assert found[T + SINK] == B + PUB


def test_a_host_name_the_publisher_gives_its_own_database_joins() -> None:
    """The publisher's TANGO_HOST is `ctl01:51903` (its stream names say so), the monitor
    polls it at 127.0.0.1: a subscriber writing `ctl01` or its fully qualified name joins."""
    stream = "lab/source/1/value.change"
    for host in ("ctl01", "ctl01.example.org"):
        spell = {
            f"{A}{stream}": f"tango://ctl01:51903/{stream}",
            f"{A}{TOPIC}": f"tango://{host}:51903/{TOPIC}",
        }
        assert joined_to(last(two_systems(spell)))[S + SINK] == A + PUB, host


def test_a_name_this_machine_goes_by_elsewhere_in_the_replies_joins() -> None:
    """Another server polled over loopback names its database `ctl01`: ctl01 is this
    machine, so the subscriber's `tango://ctl01:51903/` is the publisher's 127.0.0.1:51903."""
    teacher = {
        "admin": "tango://127.0.0.1:43817/dserver/Other/1",
        "devices": [],
        "reply": {
            "version": 1,
            "server": {"event_counters": {"tango://ctl01:43817/x/y/z/v.change": 2}},
            "client": None,
        },
    }
    spell = {f"{A}{TOPIC}": f"tango://ctl01:51903/{TOPIC}"}
    snapshot = last(two_systems(spell))
    line = {"recording": 1, "time": snapshot.time.isoformat()}
    polls = [*map(poll_json, snapshot.polls), teacher]
    assert joined_to(snapshot_from_json({**line, "servers": polls}))[S + SINK] == A + PUB


def test_a_subscription_to_a_third_database_is_left_unjoined() -> None:
    spell = {f"{A}{TOPIC}": f"tango://127.0.0.1:7000/{TOPIC}"}
    assert S + SINK not in joined_to(last(two_systems(spell)))


def test_with_one_publisher_of_the_name_any_spelling_joins_as_before() -> None:
    """One database monitored: the host spellings of two processes may differ freely."""
    line = recorded()[-1]
    text = json.dumps(line).replace(f"{A}{TOPIC}", f"tango://ctl01:7000/{TOPIC}")
    assert joined_to(snapshot_from_json(json.loads(text))) == {S + SINK: A + PUB}


@pytest.mark.parametrize(
    ("one", "other", "local", "same"),
    [
        ("127.0.0.1", "localhost", (), True),
        ("::1", "127.0.1.1", (), True),
        ("ctl01", "127.0.0.1", (), False),
        ("ctl01", "127.0.0.1", ("ctl01",), True),
        ("ctl01", "ctl01.example.org", (), True),
        ("ctl01.example.org", "ctl01.other.org", (), False),
        ("ctl01", "ctl011.example.org", (), False),
        ("ctl01", "ctl02", (), False),
    ],
)
def test_same_machine(one: str, other: str, local: tuple[str, ...], same: bool) -> None:
    assert same_machine(one, other, local) is same
