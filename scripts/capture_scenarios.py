"""Record real event-system scenarios for the findings tests.

    .venv/bin/python scripts/capture_scenarios.py [--out tests/data] [SCENARIO|GROUP...]

Per scenario: a fresh in-memory sqlite Tango database and device servers (tests/servers/) on
127.0.0.1, and the real monitor as a subprocess (`python -m ska_tango_event_monitor --monitor
--polling-period P --count N -o FILE DEVICE...`) while the scenario is driven. Its recording,
`scenario_<name>.jsonl` (`.jsonl.gz` for big ones), is never edited; any `scenario_<name>.*` it
made is kept (a truth file). What happened: the docstrings, and tests/data/scenarios.md for
newer ones. The older ones' reports are golden files (`tests/golden/scenario_<name>.txt`): after
a capture, redo them with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_findings.py` and review
the diff. A scenario that fails keeps the files of an earlier capture (exit status 1).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import tango
from scenario_lab import (
    CHURNER,
    GHOST,
    PUB_ADMIN,
    ROOT,
    SINK,
    SINK_ADMIN,
    SOURCE,
    SOURCE_2,
    CaptureError,
    Lab,
    NotThisTime,
    lab_devices,
    sink_callback,
    stalled,
    start_pair,
)
from scenarios_endpoint import ENDPOINT_SCENARIOS
from scenarios_health import HEALTH_SCENARIOS
from scenarios_ring import perf_first_poll, ring50_slow_node
from scenarios_subscriber import CHURN_SCENARIOS, keepalive, past_timestamps

from ska_tango_event_monitor.local_tango import DeviceRegistration
from ska_tango_event_monitor.tango.errors import describe_failure

ATTEMPTS = 3

# Scenarios: each returns notes on what happened (printed, not recorded)


def healthy(lab: Lab) -> str:
    """A publisher pushing at 20 Hz to a fast subscriber."""
    lab.start_database(*lab_devices())
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(20.0)
    lab.wait_until(lambda: lab.received() > 5, 10, "the sink to receive events")
    run = lab.monitor([SOURCE, SINK], period=1, count=5)
    run.finish()
    source.StopPushing()
    return f"sink received {lab.received()} events"


def slow_callback(lab: Lab, delay: float = 0.1, rate: float = 20.0, count: int = 6) -> str:
    """The subscriber's callback sleeps `delay` s while the publisher pushes at `rate` Hz.

    Also captured with a 0.25 s callback, and with a 1.5 s one (longer than the period).
    """
    lab.start_database(*lab_devices(sink_delay=delay))
    start_pair(lab)
    source = lab.proxy(SOURCE)
    run = lab.monitor([SOURCE, SINK], period=1, count=count)
    run.wait_polls(1)
    source.StartPushing(rate)
    run.finish()
    source.StopPushing()
    lab.proxy(SINK).SetDelay(0.0)  # drain before the servers stop
    return f"sink received {lab.received()} of {source.read_attribute('value').value} events"


def missed_events(lab: Lab) -> str:
    """Publisher-side loss at a small ZMQ high-water mark: a burst to a slow subscriber."""
    lab.start_database(*lab_devices(sink_delay=0.005))
    start_pair(lab, pub_env={"TANGO_DS_EVENT_BUFFER_HWM": "10"})
    source, sink = lab.proxy(SOURCE), lab.proxy(SINK)
    run = lab.monitor([SOURCE, SINK], period=1, count=8)
    run.wait_polls(1)
    source.PushBurst(BURST)
    lab.wait_until(lambda: not source.read_attribute("pushing").value, 30, "the burst to end")
    sink.SetDelay(0.0)  # drain what was queued
    pushed = source.read_attribute("value").value
    lab.wait_until(lambda: stalled(lab.received), 30, "the sink to drain")
    tail = sink_callback(lab)
    if tail["server_counter"] == pushed:
        raise NotThisTime("the tail of the burst was not lost")
    # two polls with the tail of the burst missing: it shows as a backlog until ...
    run.wait_polls(run.polls() + 2)
    source.Push(1)  # ... the next event arrives: only then is the gap detected
    run.finish()
    callback = sink_callback(lab)
    if callback["missed_event_count"] == 0:
        raise NotThisTime("no event was lost: no missed_event_count to record")
    return (
        f"pushed {pushed + 1}, sink received {lab.received()}, missed_event_count "
        f"{callback['missed_event_count']}, tail of the burst lost: "
        f"{pushed - tail['server_counter']} events"
    )


BURST = 20000


def publisher_restart(lab: Lab) -> str:
    """The publisher is killed and started again while the subscriber stays up."""
    lab.start_database(*lab_devices())
    start_pair(lab)
    lab.proxy(SOURCE).StartPushing(5.0)
    lab.wait_until(lambda: lab.received() > 3, 10, "the sink to receive events")
    count = 24
    run = lab.monitor([SOURCE, SINK], period=1, count=count)
    run.wait_polls(3)
    before = lab.received()
    lab.servers["pub"].kill()
    killed = time.monotonic()
    time.sleep(2.5)  # down for a few polls
    lab.start_server("pub", [SOURCE, SOURCE_2])
    lab.proxy(SOURCE).StartPushing(5.0)
    lab.wait_until(lambda: lab.received() > before + 1, 40, "the sink to receive again")
    resumed = time.monotonic() - killed
    if run.polls() > count - 3:
        raise CaptureError("events resumed too late: increase the count of polls")
    run.finish()
    counters = [
        callback["server_counter"]
        for line in run.recording.read_text().splitlines()
        for server in json.loads(line)["servers"]
        if server["admin"] == SINK_ADMIN and "reply" in server
        for callback in server["reply"]["client"]["event_callbacks"].values()
    ]
    if not any(after < before for before, after in itertools.pairwise(counters)):
        raise CaptureError(f"the subscriber's server counter never went back: {counters}")
    lab.proxy(SOURCE).StopPushing()
    return f"events resumed {resumed:.1f} s after the kill"


def churn(lab: Lab) -> str:
    """Another device of the subscriber's process subscribes/unsubscribes in a loop."""
    lab.start_database(
        *lab_devices(),
        DeviceRegistration(
            "EventLab/sink", "EventSink", CHURNER, {"churn_target": f"{SOURCE_2}/quiet"}
        ),
    )
    start_pair(lab, sink_devices=(SINK, CHURNER))
    source, churner = lab.proxy(SOURCE), lab.proxy(CHURNER)
    source.StartPushing(20.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=5)
    run.wait_polls(1)
    churner.Churn(1_000_000)
    run.finish()
    churner.StopChurn()
    source.StopPushing()
    return f"{churner.read_attribute('churn_cycles').value} churn cycles"


def not_connected(lab: Lab) -> str:
    """A stateless subscription to a registered device whose server does not run."""
    lab.start_database(
        *lab_devices(sink_sources=(SOURCE, GHOST)),
        DeviceRegistration("EventLab/ghost", "EventSource", GHOST),
    )
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(5.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=3)
    run.finish()
    source.StopPushing()
    reply = lab.query(SINK_ADMIN)
    return f"{len(reply['client']['not_connected'])} subscription(s) not connected"


def samples_stolen(lab: Lab) -> str:
    """A second client calls QueryEventSystem on the same servers in a loop."""
    lab.start_database(*lab_devices())
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(2.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=5)
    run.wait_polls(1)
    stop = threading.Event()
    calls = [0]

    def steal() -> None:
        admins = [lab.proxy(PUB_ADMIN), lab.proxy(SINK_ADMIN)]
        while not stop.is_set():
            for admin in admins:
                admin.command_inout("QueryEventSystem")
            calls[0] += 1
            time.sleep(0.005)

    thief = threading.Thread(target=steal, daemon=True)
    thief.start()
    try:
        run.finish()
    finally:
        stop.set()
        thief.join()
    source.StopPushing()
    return f"the other client queried {calls[0]} times"


SCENARIOS: dict[str, Callable[[Lab], str]] = {
    "healthy": healthy,
    "slow_callback": slow_callback,
    "slow_callback_250ms": lambda lab: slow_callback(lab, delay=0.25, rate=15.0),
    "callback_longer_than_period": lambda lab: slow_callback(lab, delay=1.5, rate=2.5, count=8),
    "missed_events": missed_events,
    "publisher_restart": publisher_restart,
    "churn": churn,
    "not_connected": not_connected,
    "samples_stolen": samples_stolen,
    "ring50_slow_node": ring50_slow_node,
    **CHURN_SCENARIOS,
    **HEALTH_SCENARIOS,
    "past_timestamps": past_timestamps,
    "perf_first_poll": perf_first_poll,
    "keepalive": keepalive,
    **ENDPOINT_SCENARIOS,
}
GROUPS = {"churn_periods": list(CHURN_SCENARIOS)}  # one name for several recordings


def capture(name: str, out: Path, keep_logs: bool) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"scenario-{name}-") as tmp:
        lab = Lab(name, Path(tmp))
        try:
            notes = SCENARIOS[name](lab)
        except NotThisTime:
            raise
        except BaseException:
            if lab.monitor_run is not None:
                print(f"  monitor: {' '.join(lab.monitor_run.command)}", file=sys.stderr)
            for server in lab.servers.values():
                print(f"  {server.name} log tail:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            lab.close()
            if keep_logs:
                for log in Path(tmp).glob("*.log"):
                    shutil.copy(log, out / f"scenario_{name}.{log.name}")
        run = lab.monitor_run
        assert run is not None
        warnings, polls = run.stderr.read_text().strip(), run.polls()
        out.mkdir(parents=True, exist_ok=True)
        for kept in Path(tmp).glob(f"scenario_{name}.*"):  # the recording, its truth if any
            shutil.copy(kept, out / kept.name)
    print(f"{name}: {polls} polls in {time.monotonic() - started:.1f} s; {notes}")
    if warnings:
        print(f"  monitor stderr: {warnings}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    parser.add_argument("--keep-logs", action="store_true", help="copy server logs to --out")
    choices = [*SCENARIOS, *GROUPS]
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(choices))
    options = parser.parse_args(argv)
    if unknown := sorted(set(options.scenarios) - set(choices)):
        parser.error(f"unknown scenario(s) {', '.join(unknown)}: choose from {', '.join(choices)}")
    names = [n for name in options.scenarios for n in GROUPS.get(name, [name])] or list(SCENARIOS)
    started, failed = time.monotonic(), []
    for name in names:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                capture(name, options.out, options.keep_logs)
                break
            except NotThisTime as error:
                print(f"{name}: attempt {attempt} of {ATTEMPTS}: {error}", file=sys.stderr)
            except (CaptureError, tango.DevFailed, RuntimeError) as error:
                print(f"{name}: FAILED: {describe_failure(error)}", file=sys.stderr)
                failed.append(name)
                break
        else:
            failed.append(name)
    print(f"{len(names) - len(failed)} scenario(s) captured in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
