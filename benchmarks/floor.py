"""Benchmark 7: one poll against the floor, the speed of reading its own input.

The floor is `orjson.loads` of the same reply strings in the same process, measured just
before each of our polls on the very same strings, so that machine noise hits both alike.
Ours is the whole poll as in benchmark 4: decode, `MonitorSession.update` (parse, diff,
statistics, findings) and the text report. At 100 and 1 000 servers x 20 streams, counters
only and with full perf rings (256 samples per side and server). The memory the session and
the writer hold per server after a few polls is measured apart (tracemalloc slows the run).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass

import orjson

from benchmarks.cpu_per_poll import PHASES, Discard, one_poll, profiled_polls, wire_replies
from benchmarks.profiling import report_profile
from benchmarks.results import FloorRow, Report, Target, median, ms
from benchmarks.synthetic import RING, System
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.outputs.writer import ReportWriter

NAME = "7 against the floor"
RATIO = {False: 6.0, True: 3.0}  # ours / floor at most, without and with perf samples
FLAT = 1.10  # memory per server at the largest size at most this times the smallest's


@dataclass(frozen=True)
class FloorSettings:
    sizes: tuple[tuple[int, int], ...] = ((100, 30), (1000, 8))  # (servers, polls)
    streams: int = 20
    memory_polls: int = 5
    # (events per stream and poll, perf on): counters only, and rings full (13 x 20 > 256)
    cases: tuple[tuple[int, bool], ...] = ((2, False), (13, True))


@dataclass(frozen=True)
class Measured:
    system: System
    floor_s: float  # median per poll, polls 2..N
    phases_s: dict[str, float]
    held_bytes: float = 0.0  # per server, after `memory_polls` polls

    @property
    def ours_s(self) -> float:
        return sum(self.phases_s.values())

    @property
    def ratio(self) -> float:
        return self.ours_s / self.floor_s


def run(report: Report, settings: FloorSettings) -> None:
    report.section(f"{NAME[0]}. One poll against the floor (orjson.loads of the same replies)")
    report.say(
        "  CPU time (process_time) per poll in ms, medians over polls 2..N; the floor is "
        "measured on the same strings just before each poll; memory held by the session and "
        f"the writer after {settings.memory_polls} polls (tracemalloc, a separate run)"
    )
    results = [
        _measured(System(servers, settings.streams, events, perf=perf), polls, settings)
        for servers, polls in settings.sizes
        for events, perf in settings.cases
    ]
    report.table(
        ["servers", "replies", "floor", *PHASES, "ours", "ours/floor", "KiB held per server"],
        [
            [
                m.system.servers,
                label(m.system),
                f"{ms(m.floor_s):.2f}",
                *(f"{ms(m.phases_s[p]):.2f}" for p in PHASES),
                f"{ms(m.ours_s):.2f}",
                f"{m.ratio:.2f}",
                f"{m.held_bytes / 1024:.1f}",
            ]
            for m in results
        ],
    )
    for m in results:
        _ratio_target(report, m)
    _memory_targets(report, results)


def label(system: System) -> str:
    if not system.perf:
        return "counters only"
    samples = min(RING, system.streams * system.events_per_poll)
    if samples >= RING:
        return f"full perf rings ({RING} samples per side and server)"
    return f"perf samples ({samples} per side and server)"


def _work(system: System) -> str:
    return f"one poll, {system.servers} servers x {system.streams} streams, {label(system)}"


def _measured(system: System, polls: int, settings: FloorSettings) -> Measured:
    session, writer = MonitorSession(Analyser()), ReportWriter(Discard())
    floor: list[float] = []
    phases: dict[str, list[float]] = {p: [] for p in PHASES}
    for poll in range(polls):
        wire = wire_replies(system, poll)  # made untimed
        started = time.process_time()
        for text in wire:
            orjson.loads(text)
        floor_s = time.process_time() - started
        times = one_poll(system, poll, wire, session, writer, Counter())
        if poll == 0:  # everything is new: not a steady poll
            continue
        floor.append(floor_s)
        for phase, value in zip(PHASES, times, strict=True):
            phases[phase].append(value)
    del session, writer
    held = _held_per_server(system, settings.memory_polls)
    return Measured(system, median(floor), {p: median(v) for p, v in phases.items()}, held)


def _held_per_server(system: System, polls: int) -> float:
    """Bytes the session and the writer keep per server once `polls` polls went through."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        session, writer = MonitorSession(Analyser()), ReportWriter(Discard())
        for poll in range(polls):
            wire = wire_replies(system, poll)
            one_poll(system, poll, wire, session, writer, Counter())
            del wire
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
        del session, writer
    finally:
        tracemalloc.stop()
    return held / system.servers


def _ratio_target(report: Report, m: Measured) -> None:
    limit = RATIO[m.system.perf]
    target = Target(NAME, f"{_work(m.system)}: ours / floor", m.ratio, limit, "x")
    row = FloorRow(_work(m.system), f"{ms(m.floor_s):.2f} ms", f"{ms(m.ours_s):.2f} ms", target)
    if not report.against_floor(row).met:
        _explain(report, m)


def _memory_targets(report: Report, results: list[Measured]) -> None:
    sizes = sorted({m.system.servers for m in results})
    small, large = sizes[0], sizes[-1]
    for perf in (False, True):
        by_size = {m.system.servers: m for m in results if m.system.perf == perf}
        if small not in by_size or large not in by_size:
            continue
        before, after = by_size[small], by_size[large]
        what = f"memory held per server, {large} / {small} servers, {label(after.system)}"
        target = Target(NAME, what, after.held_bytes / before.held_bytes, FLAT, "x")
        floor = f"{before.held_bytes / 1024:.1f} KiB at {small}"
        report.against_floor(
            FloorRow(what, floor, f"{after.held_bytes / 1024:.1f} KiB at {large}", target)
        )


def _explain(report: Report, m: Measured) -> None:
    """Where the time goes: a profiled run of 3 polls after the first."""
    system = m.system
    profile = profiled_polls(system)
    report.note(
        f"{_work(system)}: ours {ms(m.ours_s):.1f} ms = {m.ratio:.1f} x the floor "
        f"({ms(m.floor_s):.2f} ms) > {RATIO[system.perf]:g} x; cProfile summary of 3 polls "
        "in section 6 (times inflated by the profiler)"
    )
    report_profile(report, profile, 3, "poll")
