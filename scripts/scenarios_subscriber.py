"""Scenarios about one subscriber process (EventLab servers, tests/servers/event_lab.py):
churn recorded at several polling periods, values stamped in the past, a stuck keep-alive.
tests/data/scenarios.md tells what each recording holds.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from scenario_lab import (
    CHURNER,
    PUB_ADMIN,
    SINK,
    SINK_ADMIN,
    SOURCE,
    SOURCE_2,
    CaptureError,
    Lab,
    NotThisTime,
    lab_devices,
    recorded,
    start_pair,
)

from ska_tango_event_monitor.local_tango import DeviceRegistration

CHURN_RATE_HZ, CHURN_SINK_RATE_HZ = 40.0, 10.0
CHURN_PERIODS = {"0.5": 0.5, "1": 1.0, "3": 3.0, "5": 5.0}
STUCK, STUCK_ADMIN = "lab/sink/2", "dserver/EventLab/stuck"


def churn_at(lab: Lab, period: float, count: int = 8) -> str:
    """lab/churn/1 (un)subscribes `quiet` of lab/source/2 40 times a second in the process
    of lab/sink/1, which takes lab/source/1's value at 10 Hz; recorded every `period` s."""
    lab.start_database(
        *lab_devices(),
        DeviceRegistration(
            "EventLab/sink",
            "EventSink",
            CHURNER,
            {"churn_target": f"{SOURCE_2}/quiet", "churn_rate": str(CHURN_RATE_HZ)},
        ),
    )
    start_pair(lab, sink_devices=(SINK, CHURNER))
    source, churner = lab.proxy(SOURCE), lab.proxy(CHURNER)
    source.StartPushing(CHURN_SINK_RATE_HZ)
    lab.wait_until(lambda: lab.received() > 5, 10, "the sink to receive events")
    churner.Churn(1_000_000)
    time.sleep(1.0)  # churning at its pace before the first poll
    run = lab.monitor([SOURCE, SINK], period=period, count=count)
    started, cycles_before = time.monotonic(), churner.read_attribute("churn_cycles").value
    run.finish()
    cycles = churner.read_attribute("churn_cycles").value - cycles_before
    rate = cycles / (time.monotonic() - started)
    churner.StopChurn()
    source.StopPushing()
    return f"{rate:.1f} churn cycles/s during the run"


CHURN_SCENARIOS: dict[str, Callable[[Lab], str]] = {
    f"churn_p{name}": functools.partial(churn_at, period=period)
    for name, period in CHURN_PERIODS.items()
}


def past_timestamps(lab: Lab) -> str:
    """lab/source/1 stamps every value 5 s in the past and pushes at 2 Hz to an idle sink."""
    registrations = lab_devices()
    registrations[0] = DeviceRegistration(
        "EventLab/pub", "EventSource", SOURCE, {"timestamp_offset": "5"}
    )
    lab.start_database(*registrations)
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(2.0)
    lab.wait_until(lambda: lab.received() > 2, 10, "the sink to receive events")
    run = lab.monitor([SOURCE, SINK], period=2, count=8)
    run.finish()
    source.StopPushing()
    return f"sink received {lab.received()} of {source.read_attribute('value').value} events"


def keepalive(lab: Lab) -> str:
    """Two subscriber processes of lab/source/1 (2 Hz); one's callback blocks on a lock for
    good. Recorded every 10 s for 290 s, past the first keep-alive re-subscription."""
    lab.start_database(
        *lab_devices(),
        DeviceRegistration("EventLab/stuck", "EventSink", STUCK, {"sources": [SOURCE]}),
    )
    start_pair(lab)
    lab.start_server("stuck", [STUCK])
    subscribed = time.monotonic()
    source, stuck = lab.proxy(SOURCE), lab.proxy(STUCK)
    source.StartPushing(2.0)
    lab.wait_until(
        lambda: lab.received() > 2 and lab.received(STUCK) > 2, 10, "both sinks to receive"
    )
    stuck.BlockCallbacks()
    blocked_at = lab.received(STUCK)
    run = lab.monitor([SOURCE, SINK, STUCK], period=10, count=30)
    started = time.monotonic() - subscribed
    run.finish(timeout=400)
    resubscribed = {
        entry["admin"]: [
            callback["last_resubscribed"]
            for callback in entry["reply"]["client"]["event_callbacks"].values()
        ]
        for entry in recorded(run)[-1]["servers"]
        if entry["admin"] in (SINK_ADMIN, STUCK_ADMIN)
    }
    if not all(resubscribed[SINK_ADMIN]):
        raise NotThisTime(f"no keep-alive re-subscription recorded: {resubscribed}")
    if any(resubscribed[STUCK_ADMIN]):
        raise CaptureError(f"the stuck subscriber re-subscribed: {resubscribed}")
    notes = (
        f"monitor started {started:.1f} s after the subscriptions; stuck sink blocked after "
        f"{blocked_at} events, healthy one received {lab.received()}; last_resubscribed "
        f"{resubscribed}; publisher {PUB_ADMIN} pushed {source.read_attribute('value').value}"
    )
    stuck.ReleaseCallbacks()  # so that it can unsubscribe and stop
    source.StopPushing()
    return notes
