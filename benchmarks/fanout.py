"""Benchmarks 1 and 2: one polling round over N real servers, and a round with a hung server.

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
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import tango

from benchmarks.cluster import Cluster, wait_subscribed
from benchmarks.results import Report, Target, median, ms, percentile
from ska_tango_event_monitor.core.parse import decode_reply
from ska_tango_event_monitor.tango.monitor import Monitor
from ska_tango_event_monitor.tango.resolve import MonitoredServer

QUERY = "QueryEventSystem"
ROUND_TIMEOUT_S = 3.0
KINDS = ("ours", "group", "sequential", "one server")


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
        hung(report, cluster, settings)


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
            decode_reply(reply)
        times.append(time.perf_counter() - started)
    return median(times)


def _round_kinds(
    admins: Sequence[str], devices: Sequence[str], timeout_s: float
) -> dict[str, Callable[[], int]]:
    """Each kind of round, returning how many servers did not answer."""
    monitor = Monitor(
        [MonitoredServer(a, (d,)) for a, d in zip(admins, devices, strict=True)], timeout_s
    )
    group = _group(admins, timeout_s)
    proxies = _proxies(admins, timeout_s)
    singles = _proxies(admins, timeout_s)
    turn = [0]

    def ours() -> int:
        return sum(poll.reply is None for poll in monitor.poll().polls)

    def grouped() -> int:
        return sum(reply.has_failed() for reply in _group_round(group))

    def sequential() -> int:
        return sum(_call(proxy) is None for proxy in proxies)

    def one_server() -> int:
        turn[0] = (turn[0] + 1) % len(singles)
        return _call(singles[turn[0]]) is None

    return dict(zip(KINDS, (ours, grouped, sequential, one_server), strict=True))


def _group(admins: Sequence[str], timeout_s: float) -> tango.Group:
    group = tango.Group("event-bench")
    group.add(list(admins))  # full names (tango://host:port/dserver/...): no pattern lookup
    group.set_timeout_millis(round(timeout_s * 1000))
    if group.get_size() != len(admins):
        raise RuntimeError(f"tango.Group holds {group.get_size()} devices, not {len(admins)}")
    return group


def _group_round(group: tango.Group) -> list:
    replies = group.command_inout(QUERY)
    for reply in replies:
        if not reply.has_failed():
            reply.get_data()  # the reply string, as the others get it
    return replies


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


def hung(report: Report, cluster: Cluster, settings: FanoutSettings) -> None:
    """Benchmark 2: one server frozen with SIGSTOP; every round keeps the timeout."""
    size = cluster.size
    frozen = size // 2
    report.section(f"2. Hung server: 1 of {size} servers stopped with SIGSTOP")
    admins, devices = cluster.admins, cluster.devices
    timeout_s = settings.hung_timeout_s
    monitor = Monitor(
        [MonitoredServer(a, (d,)) for a, d in zip(admins, devices, strict=True)], timeout_s
    )
    group = _group(admins, timeout_s)
    for _ in range(3):
        monitor.poll()
        _group_round(group)
    rows, worst, missing = [], 0.0, 0
    with _Frozen(cluster, [frozen]):
        for number in range(1, settings.hung_rounds + 1):
            took, answered, error = _timed_poll(monitor, frozen)
            worst, missing = max(worst, took), missing + (size - 1 - answered)
            rows.append([f"ours, round {number}", f"{took:.3f}", f"{answered}/{size - 1}", error])
        rows += _group_rows(group, size, settings.hung_rounds, 1)
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
        replies = _group_round(group)
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
