"""Scenarios of many device servers in a ring (tests/servers/ring_node.py).

Server `RingNode/NN` hosts `ring/sensor/NN`, which pushes `temperature`, `pressure` and
`humidity` change events back to back every `push_period`, and `ring/watch/NN`, which
subscribes to those of `ring/sensor/(NN+1 mod size)`: every server publishes to the server
before it and subscribes to the server after it. tests/data/scenarios.md tells what each
recording holds.
"""

from __future__ import annotations

import time

from scenario_lab import RING_NODE, CaptureError, Lab, NotThisTime, recorded

from ska_tango_event_monitor.local_tango import DeviceRegistration

SETTLE_S = 10.0  # the ring runs this long before the monitor starts: a steady state
SLOW_NODE, SLOW_DELAY_S = 17, 0.6


def sensor(index: int) -> str:
    return f"ring/sensor/{index:02d}"


def watch(index: int) -> str:
    return f"ring/watch/{index:02d}"


def admin(index: int) -> str:
    return f"dserver/RingNode/{index:02d}"


def ring_registrations(
    size: int, push_period: dict[int, float], slow: int | None = None
) -> list[DeviceRegistration]:
    registrations = []
    for index in range(size):
        server = f"RingNode/{index:02d}"
        period = {"push_period": str(push_period.get(index, 0.5))}
        watching: dict[str, str] = {"source": sensor((index + 1) % size)}
        if index == slow:
            watching |= {"callback_delay": str(SLOW_DELAY_S), "slow_attribute": "temperature"}
        registrations += [
            DeviceRegistration(server, "RingSensor", sensor(index), period),
            DeviceRegistration(server, "RingWatch", watch(index), watching),
        ]
    return registrations


def start_ring(lab: Lab, size: int, push_period: dict[int, float], slow: int | None) -> float:
    """Start the ring, subscribe every watch device; returns when it subscribed (monotonic)."""
    lab.start_database(*ring_registrations(size, push_period, slow))
    lab.start_servers({f"{i:02d}": [sensor(i), watch(i)] for i in range(size)}, RING_NODE)
    lab.command_all([watch(i) for i in range(size)], "SubscribeSource")
    subscribed = time.monotonic()
    lab.wait_until(
        lambda: all(lab.received(watch(i)) > 0 for i in range(size)),
        60,
        "every watch device to receive events",
    )
    return subscribed


def ring50_slow_node(lab: Lab) -> str:
    """50 servers at 2 Hz per stream; RingNode/17's callback on temperature takes 0.6 s."""
    size = 50
    subscribed = start_ring(lab, size, {}, slow=SLOW_NODE)
    time.sleep(max(0.0, subscribed + SETTLE_S - time.monotonic()))
    source = lab.proxy(sensor(SLOW_NODE + 1))
    cycles_before = source.read_attribute("cycles").value
    received_before = lab.received(watch(SLOW_NODE))
    monitor_started = time.monotonic() - subscribed
    run = lab.monitor([admin(i) for i in range(size)], period=2, count=10, compress=True)
    run.finish()
    cycles = source.read_attribute("cycles").value - cycles_before
    received = lab.received(watch(SLOW_NODE)) - received_before
    if received >= 3 * cycles * 0.9:
        raise CaptureError(f"the slow node kept up: {received} events for {cycles} cycles")
    return (
        f"monitor started {monitor_started:.1f} s after the subscriptions; during the run "
        f"{sensor(SLOW_NODE + 1)} pushed {cycles} cycles (x3 streams), {watch(SLOW_NODE)} "
        f"took {received} events"
    )


def perf_first_poll(lab: Lab) -> str:
    """20 healthy servers at 1-2 Hz; the monitor switches perf monitoring on at its start.

    Kept only when the first poll caught samples of some server (a push between the switch
    and the first query, as in the 50-server ring): the case a rule must not misread.
    """
    size = 20
    periods = {i: 1.0 for i in range(size) if i % 2}  # odd servers at 1 Hz, even at 2 Hz
    subscribed = start_ring(lab, size, periods, slow=None)
    time.sleep(max(0.0, subscribed + SETTLE_S - time.monotonic()))
    run = lab.monitor([admin(i) for i in range(size)], period=2, count=6, compress=True)
    run.finish()
    polls = recorded(run)
    first, second = ([_client_samples(entry) for entry in polls[i]["servers"]] for i in (0, 1))
    if not any(first):
        raise NotThisTime("no server had samples at the first poll")
    return f"client samples per server at the first poll: {first}, at the second: {second}"


def _client_samples(entry: dict) -> int:
    return len((entry["reply"].get("client") or {}).get("perf") or ())
