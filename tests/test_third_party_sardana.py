"""The monitor on a control system this project did not write: Sardana's demo, scanning.

A Pool (motors, counters, their controllers) and a MacroServer with its Door, all from PyPI
(`make sardana`), on pytango's sqlite database on loopback. The MacroServer subscribes to
~95 streams of the Pool; an `ascan` pushes ~130 events/s. The real CLI runs as a process.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tango

from helpers import wait_until
from sardana_demo import (
    ALIASES,
    DOOR,
    MACRO_SERVER,
    MACRO_SERVER_ADMIN,
    POOL_ADMIN,
    SardanaDemo,
    installed_versions,
    require_sardana,
    sardana_demo,
)
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.recording import RecordingError, read_recording

pytestmark = pytest.mark.integration

ADMINS = [POOL_ADMIN, MACRO_SERVER_ADMIN]
SCAN = ("ascan", "mot01", "0", "10", "20", "0.05")  # 21 points, 20 moves of the motor
SCAN_ALIASES = ("mot01", "motctrl01", ALIASES[DOOR])  # a motor and its controller, the Door
MONITOR_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def sardana(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SardanaDemo]:
    bin_dir = require_sardana()
    versions = installed_versions(bin_dir)
    assert versions["sardana"].startswith("3.7."), versions
    assert versions["pytango"] == tango.__version__, versions  # the one the monitor uses
    with sardana_demo(bin_dir, tmp_path_factory.mktemp("sardana")) as demo:
        yield demo


def monitor(demo: SardanaDemo, out: Path, *args: str) -> subprocess.Popen[str]:
    """The real CLI as a process, its stdout in `out` (JSON snapshots outgrow a pipe)."""
    with open(out, "w") as stdout:
        return subprocess.Popen(
            [sys.executable, "-m", "ska_tango_event_monitor", *args],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TANGO_HOST": demo.tango_host},
            cwd=out.parent,
        )


def finish(cli: subprocess.Popen[str]) -> str:
    """Wait for the CLI to exit (killed if it hangs); return its stderr."""
    try:
        _, err = cli.communicate(timeout=MONITOR_TIMEOUT)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    return err


def run_monitor(demo: SardanaDemo, out: Path, *args: str) -> tuple[int, list[dict], str]:
    cli = monitor(demo, out, "--format", "json", *args)
    err = finish(cli)
    return cli.returncode, json_lines(out), err


def json_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def recorded(path: Path) -> int:
    try:
        return len(list(read_recording(path)))
    except (RecordingError, FileNotFoundError):
        return 0  # not written yet


def wait_for_polls(cli: subprocess.Popen[str], recording: Path, polls: int) -> None:
    """Until the recording has `polls` snapshots; at once if the monitor exited."""

    def done() -> bool:
        if cli.poll() is not None:
            raise AssertionError(f"the monitor exited ({cli.returncode}): {finish(cli)}")
        return recorded(recording) >= polls

    wait_until(done, MONITOR_TIMEOUT, f"{polls} recorded polls")


def endpoints(demo: SardanaDemo, admin: str) -> list[str]:
    """The ZMQ endpoints the server advertises (`Heartbeat: tcp://...`, `Event: tcp://...`)."""
    _, lines = demo.proxy(admin).command_inout("ZmqEventSubscriptionChange", ["info"])
    return [line.split(": ", 1)[1] for line in lines if ": tcp://" in line]


def test_sardana_demo_runs_its_event_system_on_loopback(sardana: SardanaDemo) -> None:
    assert sardana.device("mot01") == "motor/motctrl01/1"
    assert sardana.device("motctrl01") == "controller/dummymotorcontroller/motctrl01"
    pool_endpoints = endpoints(sardana, POOL_ADMIN)
    assert len(pool_endpoints) == 2  # heartbeat and events
    assert all(e.startswith("tcp://127.0.0.1:") for e in pool_endpoints), pool_endpoints
    assert all(e.startswith("tcp://127.0.0.1:") for e in endpoints(sardana, MACRO_SERVER_ADMIN))
    client = sardana.query(MACRO_SERVER_ADMIN)["client"]
    channels = client["event_channels"]
    assert list(channels) == [sardana.trl(POOL_ADMIN.lower())]
    assert all(c["endpoint"].startswith("tcp://127.0.0.1:") for c in channels.values())
    assert client["not_connected"] == []


def test_one_section_per_server_whatever_the_device_or_spelling(
    sardana: SardanaDemo, tmp_path: Path
) -> None:
    devices = [
        sardana.trl(sardana.device("mot01")),  # two devices of the Pool, two host spellings
        sardana.trl(sardana.device("motctrl01"), host="localhost"),
        DOOR,  # the MacroServer by a plain name (TANGO_HOST) and by a full one
        sardana.trl(MACRO_SERVER, host="localhost"),
    ]
    status, lines, err = run_monitor(sardana, tmp_path / "out.json", "--count", "1", *devices)

    assert (status, err) == (0, "")
    [snapshot, _summary] = lines
    titles = [server["title"] for server in snapshot["servers"]]
    assert [server["admin"] for server in snapshot["servers"]] == ADMINS, titles


def test_aliases_name_the_devices(sardana: SardanaDemo, tmp_path: Path) -> None:
    aliases = ["mot01", "motctrl01", "ct01", ALIASES[DOOR]]
    status, lines, err = run_monitor(sardana, tmp_path / "out.json", "--count", "1", *aliases)

    assert (status, err) == (0, "")
    [snapshot, _summary] = lines
    pool, macro_server = snapshot["servers"]
    assert [pool["admin"], macro_server["admin"]] == ADMINS
    assert all(alias in pool["title"] for alias in aliases[:3]), pool["title"]
    assert ALIASES[DOOR] in macro_server["title"]


@pytest.fixture(scope="module")
def monitored_scan(
    sardana: SardanaDemo, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """An ascan while the monitor polls every second (perf monitoring on, JSON out and a
    recording), given the names a Sardana user types; the monitor is stopped (Ctrl-C) two
    polls after the scan has ended."""
    folder = tmp_path_factory.mktemp("scan")
    out, recording = folder / "out.json", folder / "scan.jsonl"
    args = ["--monitor", "--polling-period", "1", "--fail-on", "warning", "-o", str(recording)]
    cli = monitor(sardana, out, "--format", "json", *args, *SCAN_ALIASES)
    try:
        wait_for_polls(cli, recording, 2)  # perf monitoring is on from the first poll
        scan_output = sardana.run_macro(*SCAN)
        wait_for_polls(cli, recording, recorded(recording) + 2)  # events drained
        cli.send_signal(signal.SIGINT)
    finally:
        err = finish(cli)
    *snapshots, summary = json_lines(out)
    return {
        "status": cli.returncode,
        "stderr": err,
        "snapshots": snapshots,
        "summary": summary["summary"],
        "recording": list(read_recording(recording)),
        "recording_path": recording,
        "scan_output": scan_output,
        "replies": {admin: sardana.query(admin) for admin in ADMINS},  # after the exit
    }


def test_scan_is_monitored_in_one_section_per_server(monitored_scan: dict) -> None:
    assert (monitored_scan["status"], monitored_scan["stderr"]) == (0, "")
    assert any(line.split()[:1] == ["20"] for line in monitored_scan["scan_output"])
    for snapshot in monitored_scan["snapshots"]:
        assert [server["admin"] for server in snapshot["servers"]] == ADMINS
        assert all(server["error"] is None for server in snapshot["servers"])
    pool, macro_server = (server["title"] for server in monitored_scan["snapshots"][0]["servers"])
    assert (pool, macro_server) == (
        f"{POOL_ADMIN} (from mot01, motctrl01)",
        f"{MACRO_SERVER_ADMIN} (from {ALIASES[DOOR]})",
    )


def test_healthy_sardana_raises_no_finding(monitored_scan: dict) -> None:
    raised = [f for s in monitored_scan["snapshots"] for f in s["findings"]]
    assert raised == [], json.dumps(raised[:5], indent=1)
    assert monitored_scan["summary"]["findings"] == []


def test_publisher_and_subscriber_counters_match_after_the_scan(monitored_scan: dict) -> None:
    stream = "motor/motctrl01/1/position.change"
    first, last = monitored_scan["snapshots"][0], monitored_scan["snapshots"][-1]
    # a subscription that has received nothing yet has no backlog entry
    before = next((b["last_pushed"] for b in first["backlogs"] if b["stream"] == stream), 0)
    [after] = [b for b in last["backlogs"] if b["stream"] == stream]
    assert (after["publisher"], after["subscriber"]) == (POOL_ADMIN, MACRO_SERVER_ADMIN)
    assert after["last_pushed"] - before >= 20  # the scan moved the motor
    assert after["last_pushed"] == after["last_received"] and after["events"] == 0
    assert [b for b in last["backlogs"] if b["events"]] == []  # every stream drained
    # what the servers themselves say, asked after the monitor's exit
    pool, macro_server = (monitored_scan["replies"][admin] for admin in ADMINS)
    [pushed] = [n for s, n in pool["server"]["event_counters"].items() if s.endswith(stream)]
    topic = stream.replace(".change", ".idl5_change")
    callbacks = macro_server["client"]["event_callbacks"]
    [received] = [c for t, c in callbacks.items() if t.endswith(topic)]
    assert pushed - 1 == after["last_pushed"]  # event_counters holds the next counter
    assert received["server_counter"] == received["event_count"] == after["last_received"]


def test_perf_monitoring_was_on_and_is_off_after_the_exit(monitored_scan: dict) -> None:
    samples: dict[str, int] = dict.fromkeys(ADMINS, 0)
    for snapshot in monitored_scan["recording"]:
        for poll in snapshot.polls:
            admin = short_name(poll.admin)
            side = poll.reply["server" if admin == POOL_ADMIN else "client"]
            samples[admin] += len(side["perf"] or ())
    assert all(samples.values()), samples  # sampled during the scan
    pool, macro_server = (monitored_scan["replies"][admin] for admin in ADMINS)
    assert pool["server"]["perf"] is None
    assert macro_server["client"]["perf"] is None
    assert macro_server["server"] is None or macro_server["server"]["perf"] is None


def test_a_processing_time_row_shared_by_many_devices_says_so(monitored_scan: dict) -> None:
    """The MacroServer subscribes to `state` of many Pool elements (change and attr_conf
    events): cppTango's samples carry the attribute name only, so one row covers every such
    stream, and the row says how many."""
    callbacks = monitored_scan["replies"][MACRO_SERVER_ADMIN]["client"]["event_callbacks"]
    states = sum(topic.rpartition(".")[0].endswith("/state") for topic in callbacks)
    assert states > sum(topic.endswith("/state.idl5_change") for topic in callbacks) > 1
    rows = [
        row
        for snapshot in monitored_scan["snapshots"]
        for server in snapshot["servers"]
        if server["admin"] == MACRO_SERVER_ADMIN and server["client_performance"]
        for row in server["client_performance"]["rows"]
        if row["label"] == "state Processing Time"
    ]
    assert rows, "no state callback was sampled during the scan"
    assert {row["streams"] for row in rows} == {states}
    assert {row["title"].split(" [")[0] for row in rows} == {
        f"state Processing Time ({states} streams)"
    }


def test_the_report_charts_behave_on_sardanas_many_streams(
    monitored_scan: dict, tmp_path: Path
) -> None:
    """The MacroServer's processed chart: at most 8 lines drawn, the note counting the lines
    that moved but were left out apart from those that stayed at 0, as read from the
    recorded counters (a line moved if its events processed or its stream pushed rose)."""
    page = tmp_path / "scan.html"
    result = subprocess.run(
        [sys.executable, "-m", "ska_tango_event_monitor", "--replay",
         str(monitored_scan["recording_path"]), "--report", str(page)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    moved, flat = _processed_lines(monitored_scan["recording"])
    assert len(moved) > 8  # a real system has more streams than a chart draws
    section = page.read_text().split(f"<h2>{MACRO_SERVER_ADMIN}")[1].split("</section>")[0]
    figure = section.split("<figcaption>Events processed per second")[1].split("</figure>")[0]
    expected = [f"{len(moved) - 8} quieter line(s) not shown"]
    if flat:
        expected.append(f"{len(flat)} line(s) at 0 throughout not drawn")
    assert f'<p class="note">{"; ".join(expected)}</p>' in figure


def _processed_lines(snapshots: list) -> tuple[set[str], set[str]]:
    """Stream keys of the MacroServer's topics with a point on the processed chart: those
    that moved, and those that stayed at 0 throughout."""

    def key(name: str) -> str:
        base, _, kind = short_name(name).rpartition(".")
        return f"{base.lower()}.{kind.removeprefix('idl5_')}"

    def replies(snapshot) -> dict:
        return {short_name(poll.admin): poll.reply for poll in snapshot.polls}

    seen: set[str] = set()
    moved: set[str] = set()
    for before, after in itertools.pairwise(snapshots):
        old, new = replies(before), replies(after)
        old_cb = old[MACRO_SERVER_ADMIN]["client"]["event_callbacks"]
        new_cb = new[MACRO_SERVER_ADMIN]["client"]["event_callbacks"]
        old_pushed = {key(k): v for k, v in old[POOL_ADMIN]["server"]["event_counters"].items()}
        new_pushed = {key(k): v for k, v in new[POOL_ADMIN]["server"]["event_counters"].items()}
        for topic in old_cb.keys() & new_cb.keys():
            seen.add(key(topic))
            processed = new_cb[topic]["event_count"] - old_cb[topic]["event_count"]
            k = key(topic)
            pushed = new_pushed.get(k, 0) - old_pushed.get(k, new_pushed.get(k, 0))
            if processed > 0 or pushed > 0:
                moved.add(k)
    return moved, seen - moved
