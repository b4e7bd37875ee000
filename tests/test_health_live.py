"""Stream health on real servers (issue 14's "Done when"): the tutorial's scan given only
foo/bar/top, a subscriber in another Tango database, a slow subscriber beside a healthy
twin, and a healthy system that raises nothing. Verdicts read from `--format json`."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import tango

from conftest import _lab_server
from helpers import run_cli, wait_until
from ska_tango_event_monitor.local_tango import DeviceRegistration, LocalTangoDatabase
from test_follow_integration import TwoDatabases, second_database  # noqa: F401 (a fixture)
from test_tutorial_findings import MONITOR, TUTORIAL, run_scan, start_system

pytestmark = pytest.mark.integration

Line = dict[str, Any]
TOP, HW = "dserver/MyServer/top", "dserver/myserver/hw"
POSITION, MODE = "foo/bar/hw/position.change", "foo/bar/hw/mode.change"
SOURCE = "lab/source/1/value.change"


def snapshots(text: str) -> list[Line]:
    """The JSON lines of the snapshots (the summary's left out)."""
    return [line for line in map(json.loads, text.splitlines()) if "summary" not in line]


def health_of(line: Line, subscriber: str, stream: str) -> Line | None:
    found = [h for h in line["health"] if (h["subscriber"], h["stream"]) == (subscriber, stream)]
    return found[0] if found else None


def pushed_of(line: Line, stream: str) -> int:
    """The publisher's last pushed counter, 0 while the subscription has received nothing."""
    return max((b["last_pushed"] for b in line["backlogs"] if b["stream"] == stream), default=0)


def verdicts(lines: list[Line], subscriber: str, stream: str) -> list[str | None]:
    return [(health_of(line, subscriber, stream) or {}).get("verdict") for line in lines]


# 60 positions at 10 Hz: 6 s of pushes, 18 s of RogueDevice's 0.3 s callbacks
SCAN_POINTS, POLLS = 60, 26


def test_the_tutorial_scan_given_only_foo_bar_top(tmp_path: Path) -> None:
    """Position FALLING BEHIND with a growing lag, Mode.IDLE delayed behind it, both OK
    after the drain; the publisher's server followed from the subscriber's channels."""
    state_dir, recording, out_path = tmp_path / "state", tmp_path / "top.jsonl", tmp_path / "out"
    env = start_system(state_dir, 0.3, SCAN_POINTS)
    try:
        with out_path.open("w") as out:
            monitor = subprocess.Popen(
                [*MONITOR, "--format", "json", "--polling-period", "1", "--count", str(POLLS)]
                + ["-o", str(recording), "foo/bar/top"],
                stdout=out,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
        try:
            polled = lambda: len(out_path.read_text().splitlines()) >= 2  # noqa: E731
            wait_until(polled, 30, "two snapshots before the scan")
            scan = run_scan(state_dir, env)
            _, err = monitor.communicate(timeout=POLLS + 30)
        finally:
            if monitor.poll() is None:
                monitor.kill()
                monitor.wait()
    finally:
        subprocess.run([*TUTORIAL, "down", "--state-dir", str(state_dir)], timeout=60)

    assert monitor.returncode == 0, err
    assert "Timeout waiting for Mode.IDLE" in scan.stdout + scan.stderr
    lines = snapshots(out_path.read_text())
    assert {s["admin"]: s["followed_from"] for s in lines[-1]["servers"]} == {TOP: None, HW: TOP}
    position = [health_of(line, TOP, POSITION) for line in lines]
    mode = [health_of(line, TOP, MODE) for line in lines]
    pushed = [pushed_of(line, POSITION) for line in lines]
    scanning = [i for i in range(1, len(lines)) if pushed[i] > pushed[i - 1]]
    assert pushed[-1] == SCAN_POINTS and len(scanning) >= 5

    # during the scan, and while its backlog drains: FALLING BEHIND, the lag growing
    falling = [i for i, h in enumerate(position) if h and h["verdict"] == "FALLING_BEHIND"]
    assert [i for i in falling if i in scanning], verdicts(lines, TOP, POSITION)
    lags = [position[i]["lag_s"] for i in falling]  # type: ignore[index]
    assert len(lags) >= 5 and all(b > a for a, b in pairwise(lags)), lags
    assert lags[-1] > 5.0  # 18 s of callbacks for 6 s of pushes: the last waited ~12 s

    # Mode.IDLE, pushed at the scan's end, waits behind the positions in the one event thread
    late = [i for i, h in enumerate(mode) if h and h["behind"] > 0]
    assert late and late[0] >= scanning[-1] - 1
    stalled = [i for i, h in enumerate(mode) if h and h["verdict"] == "STALLED"]
    assert stalled and set(stalled) <= set(late)
    assert {mode[i]["delayed_behind"] for i in stalled} == {POSITION}  # type: ignore[index]

    # both caught up after the drain, and OK from then on
    caught_up = next(i for i in range(late[-1], len(lines)) if mode[i] and not mode[i]["behind"])
    assert len(lines) - caught_up >= 3, verdicts(lines, TOP, POSITION)
    for h in position[caught_up:] + mode[caught_up:]:
        assert h and (h["verdict"], h["lag_s"], h["behind"]) == ("OK", 0.0, 0)

    # the text report of the same run (its recording replayed) shows the lag in seconds
    replay = subprocess.run(
        [*MONITOR, "--replay", str(recording)], capture_output=True, text=True, timeout=60
    )
    assert replay.returncode == 0, replay.stderr
    behind = re.findall(
        rf"^ +{re.escape(POSITION)}: ([\d.]+) s behind \(\d+ events?\), FALLING BEHIND$",
        replay.stdout,
        re.M,
    )
    assert behind == [f"{lag:.1f}" for lag in lags]
    delayed = f"{MODE}: [\\d.]+ s behind \\(1 event\\), STALLED, delayed behind {POSITION}$"
    assert len(re.findall(delayed, replay.stdout, re.M)) == len(stalled)


def test_a_slow_subscriber_in_another_database_falls_behind_its_followed_publisher(
    second_database: TwoDatabases,  # noqa: F811
) -> None:
    """B's labb/sink/1 takes 0.2 s per event of A's lab/source/1 at 10 Hz; given only B's
    subscriber, the monitor follows it to A's publisher."""
    a, b = second_database.a, second_database.b
    sink = tango.DeviceProxy(f"tango://{b}/labb/sink/1")
    source = tango.DeviceProxy("lab/source/1")  # A is the default database
    sink.SetDelay(0.2)
    source.StartPushing(10.0)
    try:
        status, out, err = run_cli(
            "--count", "7", "--polling-period", "1", "--format", "json",
            f"tango://{b}/labb/sink/1",
        )  # fmt: skip
    finally:
        source.StopPushing()
        sink.SetDelay(0.0)  # drains before the fixture stops the servers

    assert (status, err) == (0, "")
    lines = snapshots(out)
    servers = [(s["admin"], s["tango_host"], s["followed_from"]) for s in lines[-1]["servers"]]
    assert servers == [
        ("dserver/EventLab/xsink", b, None),
        ("dserver/eventlab/pub", a, "dserver/EventLab/xsink"),
    ]
    stream = [health_of(line, "dserver/EventLab/xsink", SOURCE) for line in lines]
    assert stream[-1] and stream[-1]["publisher"] == "dserver/eventlab/pub"
    falling = [h for h in stream if h and h["verdict"] == "FALLING_BEHIND"]
    assert len(falling) >= 2, verdicts(lines, "dserver/EventLab/xsink", SOURCE)
    assert stream[-1] is falling[-1]  # to the end: it never catches up at 5 of 10 events/s
    lags = [h["lag_s"] for h in falling]
    assert all(b_ > a_ for a_, b_ in pairwise(lags)), lags


SLOW, TWIN = "dserver/EventLab/slow", "dserver/EventLab/twin"


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[str]:
    """A database of its own: EventLab/pub (lab/source/1 and 2) and two subscriber servers
    of both sources, EventLab/slow (lab/sink/1) and EventLab/twin (lab/sink/2). The tests
    name its devices in full: the session's default database is another one."""
    database = LocalTangoDatabase(log_path=tmp_path / "db.log").start()
    sources = {"sources": ["lab/source/1", "lab/source/2"]}
    servers = []
    try:
        database.register(
            DeviceRegistration("EventLab/pub", "EventSource", "lab/source/1"),
            DeviceRegistration("EventLab/pub", "EventSource", "lab/source/2"),
            DeviceRegistration("EventLab/slow", "EventSink", "lab/sink/1", sources),
            DeviceRegistration("EventLab/twin", "EventSink", "lab/sink/2", sources),
        )
        devices = {"pub": ["lab/source/1", "lab/source/2"]}
        devices |= {"slow": ["lab/sink/1"], "twin": ["lab/sink/2"]}
        for instance, names in devices.items():
            servers.append(_lab_server(instance, database.tango_host, tmp_path))
            servers[-1].start().wait_ready(names, timeout=30)
        yield database.tango_host
    finally:
        for server in reversed(servers):
            server.stop()
        database.stop()


def test_a_slow_subscriber_falls_behind_while_its_twin_of_the_same_stream_is_ok(
    twins: str,
) -> None:
    slow = tango.DeviceProxy(f"tango://{twins}/lab/sink/1")
    source = tango.DeviceProxy(f"tango://{twins}/lab/source/1")
    slow.SetDelay(0.2)
    source.StartPushing(10.0)
    try:
        status, out, err = run_cli(
            "--count", "7", "--polling-period", "1", "--format", "json",
            f"tango://{twins}/lab/sink/1", f"tango://{twins}/lab/sink/2",
        )  # fmt: skip
    finally:
        source.StopPushing()
        slow.SetDelay(0.0)

    assert (status, err) == (0, "")
    lines = snapshots(out)
    assert "FALLING_BEHIND" in verdicts(lines, SLOW, SOURCE)[3:]
    assert verdicts(lines, SLOW, SOURCE)[-1] == "FALLING_BEHIND"
    twin = verdicts(lines, TWIN, SOURCE)
    assert twin[-1] == "OK" and set(twin) <= {"OK", None}, twin
    late = [f for line in lines for f in line["findings"]]
    assert late and {f["server"] for f in late} == {SLOW}  # nothing about the twin


def test_a_healthy_system_raises_nothing(twins: str) -> None:
    """Both subscribers fast: 20 and 5 events/s, every stream judged OK, no finding, also
    with the performance samples (--monitor)."""
    sources = [tango.DeviceProxy(f"tango://{twins}/lab/source/{n}") for n in (1, 2)]
    for source, rate in zip(sources, (20.0, 5.0), strict=True):
        source.StartPushing(rate)
    try:
        status, out, err = run_cli(
            "--count", "6", "--polling-period", "1", "--format", "json", "--monitor",
            f"tango://{twins}/lab/sink/1", f"tango://{twins}/lab/sink/2",
        )  # fmt: skip
    finally:
        for source in sources:
            source.StopPushing()

    assert (status, err) == (0, "")
    lines = snapshots(out)
    # an event in flight at a poll is pending there: not judged until 3 polls in a row
    streams = [(s, t) for s in (SLOW, TWIN) for t in (SOURCE, "lab/source/2/value.change")]
    for subscriber, stream in streams:
        judged = verdicts(lines, subscriber, stream)
        assert "OK" in judged and set(judged) <= {"OK", None}, (subscriber, stream, judged)
    assert {(h["subscriber"], h["stream"]) for h in lines[-1]["health"]} == set(streams)
    assert [f for line in lines for f in line["findings"]] == []
    summary = json.loads(out.splitlines()[-1])["summary"]
    assert summary["findings"] == []
