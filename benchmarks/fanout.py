"""Benchmark 1: one polling round over N real servers (benchmark 2, a hung server, in `hung`).

Round kinds, interleaved round after round (A, B, C, D, A, B, C, D...) so that machine noise
hits all alike, each with its own proxies:
- ours: `Monitor.poll()` (QueryEventSystem on every admin device, replies decoded),
- group: `tango.Group.command_inout("QueryEventSystem")` over the admin devices (full names),
- sequential: `DeviceProxy.command_inout` on each admin device in turn,
- one server: one `command_inout` on one server (the next one each time), for the bound
  N x (one-server round) / cores: with every server on the same cores, no round beats it.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import tango

from benchmarks import hung
from benchmarks.cluster import Cluster, wait_subscribed
from benchmarks.group import QUERY, group_of, group_round
from benchmarks.results import FloorRow, Report, Target, median, ms, percentile
from ska_tango_event_monitor.core.parse import read_reply
from ska_tango_event_monitor.tango.monitor import Monitor
from ska_tango_event_monitor.tango.resolve import MonitoredServer

ROUND_TIMEOUT_S = 3.0
KINDS = ("ours", "group", "sequential", "one server")
GROUP_RATIO = 1.4  # ours / tango.Group before the fast core: 1.2-1.4 x


@dataclass(frozen=True)
class FanoutSettings:
    sizes: tuple[int, ...] = (1, 10, 50, 100)
    rounds: int = 200
    warmup: int = 10
    hung_rounds: int = 3
    hung_timeout_s: float = 1.0
    target_sizes: tuple[int, ...] = (50, 100)


@dataclass
class Rounds:
    """Wall and client CPU time of every round, by kind."""

    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]
    failures: dict[str, int]
    decode_s: float = 0.0  # decoding one round's replies (JSON), which our round includes


def run(report: Report, settings: FanoutSettings) -> None:
    with Cluster(max(settings.sizes)) as cluster:
        wait_subscribed(cluster)
        results = {n: measure(cluster, n, settings) for n in settings.sizes}
        _fanout_report(report, results, settings)
        hung.run(report, cluster, settings.hung_rounds, settings.hung_timeout_s)


def measure(cluster: Cluster, size: int, settings: FanoutSettings) -> Rounds:
    admins, devices = cluster.admins[:size], cluster.devices[:size]
    kinds = _round_kinds(admins, devices, ROUND_TIMEOUT_S)
    rounds = Rounds({k: [] for k in kinds}, {k: [] for k in kinds}, dict.fromkeys(kinds, 0))
    for _ in range(settings.warmup):
        for round_ in kinds.values():
            round_()
    for _ in range(settings.rounds):
        for kind, round_ in kinds.items():
            cpu, wall = time.process_time(), time.perf_counter()
            failed = round_()
            rounds.wall[kind].append(time.perf_counter() - wall)
            rounds.cpu[kind].append(time.process_time() - cpu)
            rounds.failures[kind] += failed
    rounds.decode_s = _decode_time(admins)
    return rounds


def _decode_time(admins: Sequence[str]) -> float:
    """Median time to decode the replies of one round, as `Monitor.poll` does."""
    replies = [_call(proxy) or "{}" for proxy in _proxies(admins, ROUND_TIMEOUT_S)]
    times = []
    for _ in range(21):
        started = time.perf_counter()
        for reply in replies:
            read_reply(reply)
        times.append(time.perf_counter() - started)
    return median(times)


def _round_kinds(
    admins: Sequence[str], devices: Sequence[str], timeout_s: float
) -> dict[str, Callable[[], int]]:
    """Each kind of round, returning how many servers did not answer."""
    monitor = Monitor(
        [MonitoredServer(a, (d,)) for a, d in zip(admins, devices, strict=True)], timeout_s
    )
    group = group_of(admins, timeout_s)
    proxies = _proxies(admins, timeout_s)
    singles = _proxies(admins, timeout_s)
    turn = [0]

    def ours() -> int:
        return sum(poll.reply is None for poll in monitor.poll().polls)

    def grouped() -> int:
        return sum(reply.has_failed() for reply in group_round(group))

    def sequential() -> int:
        return sum(_call(proxy) is None for proxy in proxies)

    def one_server() -> int:
        turn[0] = (turn[0] + 1) % len(singles)
        return _call(singles[turn[0]]) is None

    return dict(zip(KINDS, (ours, grouped, sequential, one_server), strict=True))


def _proxies(admins: Sequence[str], timeout_s: float) -> list[tango.DeviceProxy]:
    proxies = [tango.DeviceProxy(admin) for admin in admins]
    for proxy in proxies:
        proxy.set_timeout_millis(round(timeout_s * 1000))
    return proxies


def _call(proxy: tango.DeviceProxy) -> str | None:
    try:
        return proxy.command_inout(QUERY)
    except tango.DevFailed:
        return None


def _fanout_report(report: Report, results: dict[int, Rounds], settings: FanoutSettings) -> None:
    cores = os.cpu_count() or 1
    report.section(f"1. Fan-out: one polling round over N servers ({cores} cores)")
    report.say(
        f"  {settings.rounds} interleaved rounds of each kind per N; medians in ms "
        "(client CPU in the process, all threads, in brackets)"
    )
    rows = []
    for size, rounds in results.items():
        med = {k: ms(median(v)) for k, v in rounds.wall.items()}
        cpu = {k: ms(median(v)) for k, v in rounds.cpu.items()}
        bound = size * med["one server"] / cores
        rows.append(
            [
                size,
                f"{med['ours']:.2f} [{cpu['ours']:.2f}]",
                f"{med['group']:.2f} [{cpu['group']:.2f}]",
                f"{med['sequential']:.2f} [{cpu['sequential']:.2f}]",
                f"{med['one server']:.3f}",
                f"{bound:.2f}",
                f"{med['ours'] / med['group']:.2f}",
                f"{med['ours'] / bound:.2f}",
                f"{med['group'] / bound:.2f}",
                f"{med['sequential'] / med['ours']:.2f}",
                f"{ms(percentile(rounds.wall['ours'], 90)):.2f}",
                f"{ms(rounds.decode_s):.2f}",
                sum(rounds.failures.values()),
            ]
        )
    report.table(
        [
            "N",
            "ours",
            "tango.Group",
            "sequential",
            "one server",
            "bound",
            "ours/Group",
            "ours/bound",
            "Group/bound",
            "seq/ours",
            "ours p90",
            "JSON in ours",
            "no reply",
        ],
        rows,
    )
    _growth(report, results)
    for size in settings.target_sizes:
        if size in results:
            _targets(report, size, results[size], cores)
    largest = max((n for n in settings.target_sizes if n in results), default=None)
    if largest is not None:
        _againstgroup_of(report, largest, results[largest])


def _growth(report: Report, results: dict[int, Rounds]) -> None:
    sizes = sorted(results)
    report.say("  growth of the round with N (ms per added server, between sizes):")
    for kind in ("ours", "group", "sequential"):
        steps = []
        for small, large in itertools.pairwise(sizes):
            delta = median(results[large].wall[kind]) - median(results[small].wall[kind])
            steps.append(f"{small}->{large}: {ms(delta) / (large - small):.3f}")
        report.say(f"    {kind:<10} " + ", ".join(steps))


def _targets(report: Report, size: int, rounds: Rounds, cores: int) -> None:
    ours, group = median(rounds.wall["ours"]), median(rounds.wall["group"])
    sequential = median(rounds.wall["sequential"])
    bound = size * median(rounds.wall["one server"]) / cores
    name = "1 fan-out"
    report.target(Target(name, f"N={size} our round / tango.Group", ours / group, 1.0, "x"))
    report.target(Target(name, f"N={size} our round / bound", ours / bound, 1.5, "x"))
    report.target(
        Target(name, f"N={size} sequential / our round", sequential / ours, 1.5, "x", True)
    )


def _againstgroup_of(report: Report, size: int, rounds: Rounds) -> None:
    """The floor of a round is `tango.Group` (C++): ours stays no worse than it was when the
    core was made fast (1.2-1.4 x)."""
    ours, group = median(rounds.wall["ours"]), median(rounds.wall["group"])
    work = f"fan-out round, N={size}: ours / tango.Group"
    target = Target("1 fan-out", f"{work} (no worse than before)", ours / group, GROUP_RATIO, "x")
    report.against_floor(FloorRow(work, f"{ms(group):.2f} ms", f"{ms(ours):.2f} ms", target))
