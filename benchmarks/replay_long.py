"""Benchmark 5: `--replay` of long recordings: snapshots per second and peak memory.

Recordings are written by the monitor's own `Recorder` (gzip, sync-flushed per line, as
`-o FILE.jsonl.gz` writes them) into a temporary directory and deleted afterwards. Each is
replayed by `ska-tango-event-monitor --replay FILE` in a subprocess (report to /dev/null);
wall time and the peak RSS of that process (`wait4`) are measured. The snapshots have the
shape of the tutorial's recording (tests/data): a few servers and streams, perf samples, and
two servers with findings in every snapshot (a saturated event thread and late callbacks).
"""

from __future__ import annotations

import cProfile
import gzip
import io
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from benchmarks.profiling import report_profile
from benchmarks.results import FloorRow, Report, Target
from benchmarks.synthetic import System
from ska_tango_event_monitor.cli.main import Environment, main
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.outputs.writer import ReportWriter
from ska_tango_event_monitor.recording import Recorder, read_recording

TARGET_RATE = 10_000.0  # snapshots per second (benchmark 5's first target)
FAST_RATE = 5_000.0  # snapshots per second once the core reads near its input's speed
FLAT = 1.10  # peak RSS of the longest run at most this times the shortest one's


@dataclass(frozen=True)
class ReplaySettings:
    polls: tuple[int, ...] = (10_000, 100_000)
    system: System = field(
        default_factory=lambda: System(servers=2, streams=2, events_per_poll=5, slow=0, late=1)
    )
    profile_polls: int = 2_000


@dataclass(frozen=True)
class Run:
    polls: int
    size_bytes: int
    write_s: float
    wall_s: float
    peak_rss_kib: int
    floor_s: float  # reading the same file: gunzip and orjson.loads of each line

    @property
    def floor_rate(self) -> float:
        return self.polls / self.floor_s

    @property
    def rate(self) -> float:
        return self.polls / self.wall_s


def run(report: Report, settings: ReplaySettings) -> None:
    report.section(
        f"5. Long runs: --replay of recordings of {', '.join(map(str, settings.polls))} polls"
    )
    system = settings.system
    with tempfile.TemporaryDirectory(prefix="event-bench-replay-") as tmp:
        startup = measure(Path(tmp), system, 1)
        runs = [measure(Path(tmp), system, polls) for polls in settings.polls]
        plain = replace(system, perf=False)  # for comparison: without perf samples
        without_perf = measure(Path(tmp), plain, settings.polls[0])
        if not runs[-1].rate >= max(TARGET_RATE, FAST_RATE):
            phases = _phases(Path(tmp), system, settings.profile_polls)
            profile = _profile(Path(tmp), system, settings.profile_polls)
    report.say(
        f"  {system.servers} servers x {system.streams} streams, {system.events_per_poll} events "
        f"per stream and poll, perf samples on; start-up of the command {startup.wall_s:.2f} s, "
        f"{startup.peak_rss_kib / 1024:.0f} MiB"
    )
    report.table(
        [
            "polls",
            "perf samples",
            "file MiB (gz)",
            "write s",
            "replay s",
            "snapshots/s",
            "w/o start-up",
            "floor snapshots/s",
            "peak MiB",
        ],
        [
            [
                r.polls,
                "yes" if r is not without_perf else "no",
                f"{r.size_bytes / 2**20:.1f}",
                f"{r.write_s:.1f}",
                f"{r.wall_s:.2f}",
                f"{r.rate:,.0f}",
                f"{r.polls / max(1e-9, r.wall_s - startup.wall_s):,.0f}",
                f"{r.floor_rate:,.0f}",
                f"{r.peak_rss_kib / 1024:.1f}",
            ]
            for r in (*runs, without_perf)
        ],
    )
    longest, shortest = runs[-1], runs[0]
    name = "5 long runs"
    rate = report.target(
        Target(
            name,
            f"replay of {longest.polls} polls",
            longest.rate,
            TARGET_RATE,
            "snapshots/s",
            True,
        )
    )
    report.target(
        Target(
            name,
            f"peak RSS {longest.polls} polls / {shortest.polls} polls (flat)",
            longest.peak_rss_kib / shortest.peak_rss_kib,
            FLAT,
            "x",
        )
    )
    fast = _against_floor(report, longest, shortest)
    if not rate.met or not fast.met:
        read, update, render = phases
        report.note(
            f"replay runs at {longest.rate:,.0f} snapshots/s "
            f"(targets {FAST_RATE:,.0f} and {TARGET_RATE:,.0f}): "
            f"{1e6 / longest.rate:.0f} us per snapshot, of which (in-process, "
            f"{settings.profile_polls} snapshots) reading {read:.0f} us (gunzip, JSON, "
            f"snapshot objects), MonitorSession.update {update:.0f} us (parse, diff, "
            f"statistics, findings), rendering {render:.0f} us (cProfile summary in section 5)"
        )
        report_profile(report, profile, settings.profile_polls, "snapshot")


def _against_floor(report: Report, longest: Run, shortest: Run) -> Target:
    """The replay's rate beside the floor's (reading the same file), and its memory."""
    work = f"--replay of {longest.polls} polls (tutorial-sized, perf samples on)"
    floor, ours = f"{longest.floor_rate:,.0f} snapshots/s", f"{longest.rate:,.0f} snapshots/s"
    target = Target("5 long runs", work, longest.rate, FAST_RATE, "snapshots/s", True)
    fast = report.against_floor(FloorRow(work, floor, ours, target))
    flat = longest.peak_rss_kib / shortest.peak_rss_kib
    memory = f"peak RSS over {longest.polls} polls / {shortest.polls} polls"
    report.floor_rows.append(
        FloorRow(
            memory,
            f"{shortest.peak_rss_kib / 1024:.1f} MiB",
            f"{longest.peak_rss_kib / 1024:.1f} MiB",
            Target("5 long runs", memory, flat, FLAT, "x"),
        )
    )
    return fast


def measure(tmp: Path, system: System, polls: int) -> Run:
    path = tmp / f"run-{polls}.jsonl.gz"
    try:
        write_s = write_recording(path, system, polls)
        size = path.stat().st_size
        floor_s = read_floor(path)
        wall_s, rss = replay_process(path)
    finally:
        path.unlink(missing_ok=True)
    return Run(polls, size, write_s, wall_s, rss, floor_s)


def read_floor(path: Path) -> float:
    """Wall time to read the recording as fast as Python can: gunzip, orjson.loads per line."""
    started = time.monotonic()
    with gzip.open(path, "rb") as file:
        for line in file:
            orjson.loads(line)
    return time.monotonic() - started


def write_recording(path: Path, system: System, polls: int) -> float:
    started = time.monotonic()
    with Recorder(path) as recorder:
        for poll in range(polls):
            recorder.write(system.snapshot(poll))
    return time.monotonic() - started


def replay_process(path: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of `ska-tango-event-monitor --replay path`.

    The peak is the process's own VmHWM, read as it exits: `wait4`'s maxrss would count the
    pages of this (much bigger) parent process, which the child shares until it execs.
    """
    command = [sys.executable, "-c", _MAIN_WITH_PEAK, "--replay", str(path)]
    started = time.monotonic()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - started
    peak = re.search(r"^VmHWM (\d+)$", done.stderr, re.MULTILINE)
    if done.returncode != 0 or peak is None:
        raise RuntimeError(f"--replay exited with {done.returncode}: {done.stderr.strip()}")
    return wall, int(peak.group(1))


# `python -m ska_tango_event_monitor` that prints its peak resident memory when it exits
_MAIN_WITH_PEAK = """
import atexit, re, sys

def peak():
    status = open("/proc/self/status").read()
    sys.stderr.write("VmHWM " + re.search(r"VmHWM:\\s+(\\d+)", status).group(1) + "\\n")

atexit.register(peak)
from ska_tango_event_monitor.cli.main import main
sys.exit(main())
"""


def _phases(tmp: Path, system: System, polls: int) -> tuple[float, float, float]:
    """Microseconds per snapshot to read, to update the session and to render, in-process."""
    path = tmp / "phases.jsonl.gz"
    write_recording(path, system, polls)
    try:
        started = time.process_time()
        snapshots = list(read_recording(path))
        read = time.process_time()
        session = MonitorSession(Analyser())
        reports = [session.update(snapshot) for snapshot in snapshots]
        updated = time.process_time()
        writer = ReportWriter(io.StringIO())
        for snapshot_report in reports:
            writer.write(snapshot_report)
        writer.finish()
        rendered = time.process_time()
    finally:
        path.unlink(missing_ok=True)
    per = 1e6 / polls
    return (read - started) * per, (updated - read) * per, (rendered - updated) * per


def _profile(tmp: Path, system: System, polls: int) -> cProfile.Profile:
    path = tmp / "profile.jsonl.gz"
    write_recording(path, system, polls)
    profile = cProfile.Profile()
    out = io.StringIO()
    try:
        profile.enable()
        main(["--replay", str(path)], Environment(stdout=out, stderr=io.StringIO()))
        profile.disable()
    finally:
        path.unlink(missing_ok=True)
    return profile
