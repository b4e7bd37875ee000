"""Benchmark 2: one of the servers frozen with SIGSTOP; every round keeps the timeout."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence

import tango

from benchmarks.cluster import Cluster
from benchmarks.group import group_of, group_round
from benchmarks.results import Report, Target
from ska_tango_event_monitor.tango.monitor import Monitor
from ska_tango_event_monitor.tango.resolve import MonitoredServer


def run(report: Report, cluster: Cluster, rounds: int, timeout_s: float) -> None:
    """Benchmark 2: one server frozen with SIGSTOP; every round keeps the timeout."""
    size = cluster.size
    frozen = size // 2
    report.section(f"2. Hung server: 1 of {size} servers stopped with SIGSTOP")
    admins, devices = cluster.admins, cluster.devices
    monitor = Monitor(
        [MonitoredServer(a, (d,)) for a, d in zip(admins, devices, strict=True)], timeout_s
    )
    group = group_of(admins, timeout_s)
    for _ in range(3):
        monitor.poll()
        group_round(group)
    rows, worst, missing = [], 0.0, 0
    with _Frozen(cluster, [frozen]):
        for number in range(1, rounds + 1):
            took, answered, error = _timed_poll(monitor, frozen)
            worst, missing = max(worst, took), missing + (size - 1 - answered)
            rows.append([f"ours, round {number}", f"{took:.3f}", f"{answered}/{size - 1}", error])
        rows += _group_rows(group, size, rounds, 1)
    with _Frozen(cluster, [frozen, (frozen + 1) % size]):
        rows += _group_rows(group, size, 1, 2)
    report.say(f"  timeout {timeout_s:g} s; round time in s, other servers answering")
    report.table(["round", "took", "others answered", "frozen server's entry"], rows)
    recovered = _wait_recovered(monitor, frozen, 30.0)
    report.say(f"  after SIGCONT the frozen server answered again within {recovered:.1f} s")
    name = "2 hung server"
    limit = timeout_s * 1.1
    report.target(Target(name, "slowest round with a frozen server", worst, limit, "s"))
    report.target(Target(name, "other servers missing from those rounds", missing, 0, "servers"))


def _timed_poll(monitor: Monitor, frozen: int) -> tuple[float, int, str]:
    started = time.monotonic()
    snapshot = monitor.poll()
    took = time.monotonic() - started
    others = [p for i, p in enumerate(snapshot.polls) if i != frozen]
    return took, sum(p.reply is not None for p in others), snapshot.polls[frozen].error or "reply"


def _group_rows(group: tango.Group, size: int, rounds: int, frozen: int) -> list[list[object]]:
    rows = []
    for number in range(1, rounds + 1):
        started = time.monotonic()
        replies = group_round(group)
        took = time.monotonic() - started
        answered = sum(not r.has_failed() for r in replies)
        label = f"tango.Group, {frozen} frozen, round {number}"
        rows.append([label, f"{took:.3f}", f"{answered}/{size - frozen}", "failed"])
    return rows


class _Frozen:
    """SIGSTOP the given servers for the block, SIGCONT after."""

    def __init__(self, cluster: Cluster, indices: Sequence[int]) -> None:
        self.pids = [cluster.servers[i].pid for i in indices]

    def __enter__(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)

    def __exit__(self, *_: object) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)


def _wait_recovered(monitor: Monitor, index: int, timeout_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if monitor.poll().polls[index].reply is not None:
            break
        time.sleep(0.2)
    return time.monotonic() - started
