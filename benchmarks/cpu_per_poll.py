"""Benchmark 4: the monitor's CPU per poll for 100 servers x 20 streams, from replies.

Each poll: the reply strings as they come off the wire are decoded and parsed (as
`Monitor.poll` does: `read_reply`), then `MonitorSession.update` diffs, computes the
statistics and the findings, and the `ReportWriter` renders the text report (and logs the
findings for the summary). Replies come
from `benchmarks.synthetic`: counters advance, subscriptions follow, perf samples are there,
and a few servers misbehave so that findings are raised.
"""

from __future__ import annotations

import cProfile
import io
import json
import time
from collections import Counter
from dataclasses import dataclass

from benchmarks.profiling import report_profile
from benchmarks.results import Report, Target, median, ms, percentile
from benchmarks.synthetic import System
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.parse import read_reply
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll, Snapshot
from ska_tango_event_monitor.outputs.writer import ReportWriter

TARGET_MS = 20.0
PHASES = ("decode", "update", "render")


@dataclass(frozen=True)
class CpuSettings:
    servers: int = 100
    streams: int = 20
    polls: int = 30
    # (events per stream and poll, perf monitoring on); 13 x 20 streams fills the 256 rings
    cases: tuple[tuple[int, bool], ...] = ((2, False), (2, True), (13, True))


class Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def run(report: Report, settings: CpuSettings) -> None:
    report.section(
        f"4. Monitor CPU per poll: {settings.servers} servers x {settings.streams} streams"
    )
    report.say(
        "  CPU time (process_time) per poll in ms, median over polls 2..N (the first poll "
        "lists everything as new)"
    )
    rows, targets = [], []
    for events, perf in settings.cases:
        system = System(settings.servers, settings.streams, events, perf=perf)
        phases, findings, first = _measure(system, settings.polls)
        total = [sum(values) for values in zip(*phases.values(), strict=True)]
        rows.append(
            [
                _label(system),
                *(f"{ms(median(phases[p])):.2f}" for p in PHASES),
                f"{ms(median(total)):.2f}",
                f"{ms(percentile(total, 90)):.2f}",
                f"{ms(first):.1f}",
                ", ".join(f"{kind} {n}" for kind, n in sorted(findings.items())),
            ]
        )
        targets.append((median(total), system))
    report.table(
        [
            "replies",
            *PHASES,
            "total",
            "p90",
            "1st poll",
            f"findings in {settings.polls - 1} polls",
        ],
        rows,
    )
    for total, system in targets:
        label = f"CPU per poll, {_label(system)}"
        target = report.target(Target("4 CPU per poll", label, ms(total), TARGET_MS, "ms"))
        if not target.met:
            _explain(report, system, total)


def _label(system: System) -> str:
    if not system.perf:
        return f"{system.events_per_poll} events/stream/poll, no perf samples"
    samples = 2 * system.servers * min(256, system.streams * system.events_per_poll)
    return f"{system.events_per_poll} events/stream/poll, {samples:,} perf samples"


def _measure(system: System, polls: int) -> tuple[dict[str, list[float]], Counter, float]:
    session = MonitorSession(Analyser())
    writer = ReportWriter(Discard())
    phases: dict[str, list[float]] = {p: [] for p in PHASES}
    findings: Counter = Counter()
    first = 0.0
    for poll in range(polls):
        wire = wire_replies(system, poll)  # the replies as they come off the wire, made untimed
        times = one_poll(system, poll, wire, session, writer, findings)
        if poll == 0:
            first = sum(times)
            findings.clear()
            continue
        for phase, value in zip(PHASES, times, strict=True):
            phases[phase].append(value)
    return phases, findings, first


def wire_replies(system: System, poll: int) -> list[str]:
    """The replies of one poll as strings, as pytango hands them over."""
    return [json.dumps(system.reply(i, poll)) for i in range(system.servers)]


def one_poll(
    system: System,
    poll: int,
    wire: list[str],
    session: MonitorSession,
    writer: ReportWriter,
    findings: Counter,
) -> tuple[float, float, float]:
    snapshot_time = system.time(poll)
    started = time.process_time()
    polls = tuple(_received(system, i, text) for i, text in enumerate(wire))
    decoded = time.process_time()
    snapshot_report = session.update(Snapshot(snapshot_time, polls))
    updated = time.process_time()
    writer.write(snapshot_report)
    rendered = time.process_time()
    findings.update(f.kind for f in snapshot_report.findings or ())
    return decoded - started, updated - decoded, rendered - updated


def _received(system: System, index: int, text: str) -> ServerPoll:
    """A reply as `Monitor.poll` takes it: decoded and parsed where it arrives."""
    reply, state = read_reply(text)
    return ServerPoll.parsed(system.admin(index), (system.device(index),), reply, state, text=text)


def profiled_polls(system: System) -> cProfile.Profile:
    """A profile of 3 polls after the first (which has no previous reply to diff against)."""
    wires = [wire_replies(system, poll) for poll in range(4)]
    session, writer = MonitorSession(Analyser()), ReportWriter(Discard())
    profile = cProfile.Profile()
    for poll, wire in enumerate(wires):
        if poll == 1:
            profile.enable()
        one_poll(system, poll, wire, session, writer, Counter())
    profile.disable()
    return profile


def _explain(report: Report, system: System, total: float) -> None:
    """Where the time goes: a profiled run of 3 polls."""
    profile = profiled_polls(system)
    report.note(
        f"CPU per poll {ms(total):.1f} ms > {TARGET_MS:g} ms for {_label(system)}; "
        "cProfile summary of 3 polls in section 4 (times inflated by the profiler)"
    )
    report_profile(report, profile, 3, "poll")
