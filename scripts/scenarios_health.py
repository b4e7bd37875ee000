"""Scenarios of stream health (issue 14): a consumer thread blocked for good beside a healthy
twin, a subscriber falling behind a publisher of another Tango database, the tutorial's scan
and drain, and a healthy system of several servers and rates. Each also writes
`scenario_NAME.truth.json` (push times, true lag per poll: scripts/health_truth.py);
tests/data/scenarios.md tells what each recording holds.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import tango
from health_truth import PushLog, Timeline, truth
from scenario_lab import (
    EVENT_LAB,
    SINK,
    SOURCE,
    SOURCE_2,
    CaptureError,
    Lab,
    MonitorRun,
    lab_devices,
    start_pair,
)

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)
from ska_tango_event_monitor.tutorial import my_server
from ska_tango_event_monitor.tutorial.control_system import (
    HW_DEVICE,
    ROGUE_DEVICE,
    TOP_DEVICE,
    Settings,
)
from ska_tango_event_monitor.tutorial.scan_call import ScanCall

BLOCKED, BLOCKED_ADMIN = "lab/sink/2", "dserver/EventLab/blocked"
SOURCE_3, SOURCE_4, SINK_3 = "lab/source/3", "lab/source/4", "lab/sink/3"


def _truth(lab: Lab, run: MonitorRun, log: PushLog, timeline: Timeline) -> dict:
    log.close()
    name = run.recording.name.split(".")[0]
    return truth(run, log, timeline, lab.workdir / f"{name}.truth.json")


def _watch(lab: Lab, devices: Sequence[str], attribute: str = "value") -> PushLog:
    log = PushLog()
    for device in devices:
        log.watch(f"tango://{lab.tango_host}/{device}", attribute)
    return log


def _stop_pushing(lab: Lab, log: PushLog, devices: Sequence[str]) -> None:
    """Stop the EventSource devices; their `value` counts their pushes: the log must too."""
    for device in devices:
        lab.proxy(device).StopPushing()

    def logged_all() -> bool:
        values = [lab.proxy(device).read_attribute("value").value for device in devices]
        return [len(log.pushes[f"{d}/value.change"]) for d in devices] == values

    lab.wait_until(logged_all, 5, "the push log to hold every push")


def blocked_forever(lab: Lab) -> str:
    """`lab/source/1` and `lab/source/2` (EventLab/pub) push at 5 Hz each; two subscriber
    processes of both: EventLab/sink (`lab/sink/1`, healthy) and EventLab/blocked
    (`lab/sink/2`), whose callback waits for good on a lock from just before poll 3."""
    lab.start_database(
        *lab_devices(sink_sources=(SOURCE, SOURCE_2)),
        DeviceRegistration(
            "EventLab/blocked", "EventSink", BLOCKED, {"sources": [SOURCE, SOURCE_2]}
        ),
    )
    start_pair(lab)
    lab.start_server("blocked", [BLOCKED])
    log, timeline = _watch(lab, [SOURCE, SOURCE_2]), Timeline()
    sources = [lab.proxy(SOURCE), lab.proxy(SOURCE_2)]
    for source in sources:
        source.StartPushing(5.0)
    timeline.note("both sources pushing at 5 Hz")
    lab.wait_until(lambda: lab.received(BLOCKED) > 4, 10, "both sinks to receive")
    run = lab.monitor([SOURCE, SINK, BLOCKED], period=1, count=10)
    run.wait_polls(3)
    lab.proxy(BLOCKED).BlockCallbacks()  # the next callback waits for ever
    timeline.note(f"BlockCallbacks on {BLOCKED}: its next callback never returns")
    time.sleep(0.5)  # a callback past the lock already may still finish
    frozen = lab.received(BLOCKED)
    run.finish()
    if lab.received(BLOCKED) != frozen:
        raise CaptureError(f"{BLOCKED} kept receiving after the block")
    _stop_pushing(lab, log, [SOURCE, SOURCE_2])
    found = _truth(lab, run, log, timeline)
    blocked_counters = {
        s["received"] for s in found["polls"][-1]["streams"] if s["subscriber"] == BLOCKED_ADMIN
    }
    code = lab.servers["blocked"].kill()  # it cannot exit cleanly: a callback waits for ever
    return (
        f"{BLOCKED} finished {frozen} callbacks (2 of them the first reads at subscription), "
        f"server counters frozen at {sorted(blocked_counters)}, killed by PID (exit status "
        f"{code}); the healthy twin finished {lab.received()}"
    )


def cross_database_behind(lab: Lab) -> str:
    """`lab/source/1` (EventLab/pub in database A) pushes at 10 Hz from poll 2 on;
    `lab/sink/1` (EventLab/sink in database B) subscribes to it by its full name and takes
    0.2 s per event. Both monitored by full names."""
    lab.start_database(DeviceRegistration("EventLab/pub", "EventSource", SOURCE))
    lab.start_server("pub", [SOURCE])
    source_name = f"tango://{lab.tango_host}/{SOURCE}"
    database_b = LocalTangoDatabase(log_path=lab.workdir / "database_b.log").start()
    lab.stack.callback(database_b.stop)
    sink_settings = {"sources": [source_name], "callback_delay": "0.2"}
    database_b.register(DeviceRegistration("EventLab/sink", "EventSink", SINK, sink_settings))
    sink_name = f"tango://{database_b.tango_host}/{SINK}"
    server = DeviceServerProcess(
        [sys.executable, str(EVENT_LAB), "sink"], database_b.tango_host, lab.workdir / "sink.log"
    )
    lab.servers["sink"] = server
    lab.stack.callback(server.stop)
    server.start().wait_ready([SINK], timeout=30)
    log, timeline = _watch(lab, [SOURCE]), Timeline()
    source, sink = lab.proxy(SOURCE), tango.DeviceProxy(sink_name)
    run = lab.monitor([source_name, sink_name], period=1, count=10)
    run.wait_polls(2)
    source.StartPushing(10.0)
    timeline.note(f"{SOURCE} pushing at 10 Hz")
    run.finish()
    _stop_pushing(lab, log, [SOURCE])
    found = _truth(lab, run, log, timeline)
    sink.SetDelay(0.0)  # drain before the servers stop
    behind = [s["behind"] for poll in found["polls"] for s in poll["streams"]]
    if behind[-1] < 20:
        raise CaptureError(f"the subscriber in B did not fall behind: {behind}")
    return f"database A {lab.tango_host}, B {database_b.tango_host}; behind per poll {behind}"


SCAN_SETTINGS = Settings(scan_points=80, event_rate_hz=10.0, rogue_delay=0.3)
QUIET_POLLS = 3


def scan_and_drain(lab: Lab) -> str:
    """The tutorial system: a scan of 80 positions at 10 Hz (8 s) while RogueDevice takes
    0.3 s per position; Mode.IDLE, pushed at the end of the scan, waits behind the backlog
    in the event thread that TopDevice shares with it; then the drain and quiet polls."""
    lab.start_database(*SCAN_SETTINGS.registrations())
    lab.start_server("hw", [HW_DEVICE], script=_tutorial_server())
    lab.start_server("top", [TOP_DEVICE, ROGUE_DEVICE], script=_tutorial_server())
    log, timeline = PushLog(), Timeline()
    for attribute in ("position", "mode"):
        log.watch(f"tango://{lab.tango_host}/{HW_DEVICE}", attribute)
    count = 33
    run = lab.monitor([HW_DEVICE, TOP_DEVICE], period=1, count=count)
    run.wait_polls(3)
    scan = ScanCall(lab.tango_host)
    scan.start()
    timeline.note("TopDevice.Scan() called")
    scan.join(60)
    timeline.note(scan.outcome())
    if scan.error is not None or run.polls() > count - QUIET_POLLS - 1:
        raise CaptureError(f"{scan.outcome()} at poll {run.polls()} of {count}")
    run.finish()
    found = _truth(lab, run, log, timeline)
    scan_end = len(log.pushes["foo/bar/hw/position.change"])
    return f"{scan.outcome()}; {scan_end} positions; {len(found['polls'])} polls"


def _tutorial_server() -> Path:
    return Path(my_server.__file__)


RATES_HZ = {SOURCE: 50.0, SOURCE_2: 10.0, SOURCE_3: 5.0, SOURCE_4: 1.0}


def healthy_many(lab: Lab) -> str:
    """Four servers: EventLab/pub (`lab/source/1` at 50 Hz, `lab/source/2` at 10 Hz),
    EventLab/pub2 (`lab/source/3` at 5 Hz, `lab/source/4` at 1 Hz), EventLab/sink
    (`lab/sink/1` takes sources 1 and 3) and EventLab/sink2 (`lab/sink/3` takes 1, 2 and 4);
    every callback fast."""
    lab.start_database(
        DeviceRegistration("EventLab/pub", "EventSource", SOURCE),
        DeviceRegistration("EventLab/pub", "EventSource", SOURCE_2),
        DeviceRegistration("EventLab/pub2", "EventSource", SOURCE_3),
        DeviceRegistration("EventLab/pub2", "EventSource", SOURCE_4),
        DeviceRegistration("EventLab/sink", "EventSink", SINK, {"sources": [SOURCE, SOURCE_3]}),
        DeviceRegistration(
            "EventLab/sink2", "EventSink", SINK_3, {"sources": [SOURCE, SOURCE_2, SOURCE_4]}
        ),
    )
    lab.start_server("pub", [SOURCE, SOURCE_2])
    lab.start_server("pub2", [SOURCE_3, SOURCE_4])
    lab.start_server("sink", [SINK])
    lab.start_server("sink2", [SINK_3])
    log, timeline = _watch(lab, list(RATES_HZ)), Timeline()
    for device, rate in RATES_HZ.items():
        lab.proxy(device).StartPushing(rate)
    timeline.note("every source pushing")
    lab.wait_until(lambda: lab.received(SINK_3) > 20, 10, "the sinks to receive")
    time.sleep(1.0)  # past the first second, when the 1 Hz stream has pushed
    run = lab.monitor([SOURCE, SOURCE_3, SINK, SINK_3], period=1, count=8, compress=True)
    run.finish()
    _stop_pushing(lab, log, list(RATES_HZ))
    found = _truth(lab, run, log, timeline)
    worst = max((s["behind"] for poll in found["polls"] for s in poll["streams"]), default=0)
    return f"sinks took {lab.received()} and {lab.received(SINK_3)} events; most behind {worst}"


HEALTH_SCENARIOS: dict[str, Callable[[Lab], str]] = {
    "blocked_forever": blocked_forever,
    "cross_database_behind": cross_database_behind,
    "scan_and_drain": scan_and_drain,
    "healthy_many": healthy_many,
}
