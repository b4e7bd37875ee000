"""Benchmark 3: what the monitor costs the monitored system.

A publisher server pushes change events to a subscriber server (both `bench_server.py`),
alternately without the monitor and with `ska-tango-event-monitor --monitor
--polling-period 1` watching both (a separate process, as in real use: perf monitoring is
switched on in both servers and both are queried every second). Each phase measures:
- throughput: a burst pushed as fast as possible; events received per second at the
  subscriber, from the first arrival to the last (and events lost, if any),
- latency: events pushed at a steady rate; callback time minus the event's timestamp.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import tango

from benchmarks.cluster import Cluster, tango_host_env, wait_subscribed
from benchmarks.results import Report, Target, median, ms, percentile

TARGET_RATIO = 0.95
BANNER = re.compile(r"^=+\d{4}-\d\d-\d\dT[\d:.]+=+$", re.MULTILINE)
MONITOR_START_S = 30.0


@dataclass(frozen=True)
class OverheadSettings:
    pairs: int = 5  # unmonitored/monitored phase pairs, alternating
    burst: int = 60_000
    paced: int = 4_000
    rate_hz: float = 2_000.0


@dataclass(frozen=True)
class Phase:
    monitored: bool
    throughput: float  # events/s
    lost: int
    latency_median_s: float
    latency_p99_s: float
    monitor_polls: int = 0  # snapshots the monitor printed during the phase
    perf_tables: bool = False  # and whether they had performance tables (perf monitoring on)


def run(report: Report, settings: OverheadSettings) -> None:
    report.section("3. Overhead on the monitored system: publisher -> subscriber")
    with Cluster(2, push_period_s=0.0) as cluster:
        wait_subscribed(cluster)
        publisher, subscriber = (tango.DeviceProxy(d) for d in cluster.devices)
        _take(subscriber)
        _phase(publisher, subscriber, settings)  # warm-up
        phases = []
        with tempfile.TemporaryDirectory(prefix="event-bench-monitor-") as tmp:
            for _ in range(settings.pairs):
                phases.append(_phase(publisher, subscriber, settings))
                monitor = _MonitorProcess(cluster, Path(tmp) / "monitor.out")
                with monitor:
                    phase = _phase(publisher, subscriber, settings, monitored=True)
                phases.append(
                    replace(phase, monitor_polls=monitor.snapshots, perf_tables=monitor.perf)
                )
    _report(report, phases, settings)


def _phase(
    publisher: tango.DeviceProxy,
    subscriber: tango.DeviceProxy,
    settings: OverheadSettings,
    monitored: bool = False,
) -> Phase:
    publisher.command_inout("Burst", settings.burst)
    _wait_done(publisher, subscriber)
    burst = _take(subscriber)
    publisher.command_inout("Paced", [float(settings.paced), settings.rate_hz])
    _wait_done(publisher, subscriber)
    paced = _take(subscriber)
    span = (burst["last"] or 0) - (burst["first"] or 0)
    latencies = paced["latencies"]
    return Phase(
        monitored,
        (burst["received"] - 1) / span if span > 0 else float("nan"),
        settings.burst - burst["received"],
        median(latencies),
        percentile(latencies, 99),
    )


def _wait_done(publisher: tango.DeviceProxy, subscriber: tango.DeviceProxy) -> None:
    """Until the publisher is done and the subscriber has received nothing new for 0.5 s."""
    while publisher.read_attribute("pushing").value:
        time.sleep(0.05)
    count, still_since = -1, time.monotonic()
    while time.monotonic() - still_since < 0.5:
        received = subscriber.read_attribute("received").value
        if received != count:
            count, still_since = received, time.monotonic()
        time.sleep(0.05)


def _take(subscriber: tango.DeviceProxy) -> dict:
    return json.loads(subscriber.command_inout("TakeStats"))


class _MonitorProcess:
    """`ska-tango-event-monitor --monitor --polling-period 1` on both servers, for the block."""

    def __init__(self, cluster: Cluster, output: Path) -> None:
        self.command = [
            sys.executable,
            "-m",
            "ska_tango_event_monitor",
            "--monitor",
            "--polling-period",
            "1",
            *cluster.devices,
        ]
        self.env = tango_host_env(cluster)
        self.output = output
        self.process: subprocess.Popen | None = None
        self.snapshots = 0
        self.perf = False

    def __enter__(self) -> None:
        with open(self.output, "w") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, env=self.env
            )
        deadline = time.monotonic() + MONITOR_START_S
        while "=" * 20 not in self.output.read_text():  # the first snapshot's banner
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the monitor did not start: {self.output.read_text()[-500:]}")
            time.sleep(0.05)

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)  # switches perf monitoring off, then exits
        try:
            status = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise RuntimeError("the monitor did not stop on SIGTERM") from None
        text = self.output.read_text()
        if status != 0:
            raise RuntimeError(f"the monitor exited with {status}: {text[-500:]}")
        self.snapshots = len(BANNER.findall(text)) // 2  # a banner above and below each
        self.perf = "- Server performance" in text and "- Client performance" in text


def _report(report: Report, phases: list[Phase], settings: OverheadSettings) -> None:
    report.say(
        f"  {settings.pairs} alternating phase pairs; burst of {settings.burst:,} events as fast "
        f"as possible, then {settings.paced:,} events at {settings.rate_hz:,.0f}/s for latency"
    )
    rows = [
        [
            "monitored" if p.monitored else "unmonitored",
            f"{p.throughput:,.0f}",
            p.lost,
            f"{ms(p.latency_median_s):.2f}",
            f"{ms(p.latency_p99_s):.2f}",
            f"{p.monitor_polls} ({'with' if p.perf_tables else 'no'} perf tables)"
            if p.monitored
            else "",
        ]
        for p in phases
    ]
    report.table(
        ["phase", "events/s", "lost", "latency median ms", "latency p99 ms", "monitor polls"],
        rows,
    )
    plain = [p for p in phases if not p.monitored]
    watched = [p for p in phases if p.monitored]
    ratio = median([p.throughput for p in watched]) / median([p.throughput for p in plain])
    for label, group in (("without the monitor", plain), ("with --monitor", watched)):
        report.say(
            f"  {label:<20} median throughput {median([p.throughput for p in group]):,.0f} "
            f"events/s, latency median {ms(median([p.latency_median_s for p in group])):.2f} ms,"
            f" p99 {ms(median([p.latency_p99_s for p in group])):.2f} ms"
        )
    report.target(
        Target(
            "3 overhead", "throughput with / without the monitor", ratio, TARGET_RATIO, "x", True
        )
    )
