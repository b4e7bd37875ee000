"""`make bench` at a tiny size (`--quick`): every benchmark runs and prints every figure and
target, the soak's short form included (4 servers for 40 s). Not a timing test: whether a
target is met is not asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

TARGETS = [
    r"\[1 fan-out\] N=2 our round / tango\.Group: \S+ x \(target <= 1 x\)",
    r"\[1 fan-out\] N=2 our round / bound: \S+ x \(target <= 1\.5 x\)",
    r"\[1 fan-out\] N=2 sequential / our round: \S+ x \(target >= 1\.5 x\)",
    r"\[2 hung server\] slowest round with a frozen server: \S+ s \(target <= 0\.33 s\)",
    r"\[2 hung server\] other servers missing from those rounds: \S+ servers",
    r"\[3 overhead\] throughput with / without the monitor: \S+ x \(target >= 0\.95 x\)",
    r"\[4 CPU per poll\] CPU per poll, 2 events/stream/poll, no perf samples: \S+ ms "
    r"\(target <= 20\.0 ms\)",
    r"\[4 CPU per poll\] CPU per poll, 2 events/stream/poll, 48 perf samples: ",
    r"\[4 CPU per poll\] CPU per poll, 13 events/stream/poll, 312 perf samples: ",
    r"\[5 long runs\] replay of 200 polls: \S+ snapshots/s \(target >= 10,000 snapshots/s\)",
    r"\[5 long runs\] peak RSS 200 polls / 50 polls \(flat\): \S+ x \(target <= 1\.1 x\)",
    r"\[6 soak\] resident memory MiB, last / first window \(flat\): \S+ x \(target <= 1\.1 x\)",
    r"\[6 soak\] threads, last / first window \(flat\): \S+ x \(target <= 1\.1 x\)",
    r"\[6 soak\] open file descriptors, last / first window \(flat\): \S+ x "
    r"\(target <= 1\.1 x\)",
    r"\[6 soak\] latest poll beyond its period: \S+ s \(target <= 0\.5 s\)",
    r"\[6 soak\] recorded lines not valid: \S+ lines \(target <= 0 lines\)",
    r"\[6 soak\] failed scrapes: \S+ scrapes \(target <= 0 scrapes\)",
    r"\[6 soak\] servers with performance monitoring on at the end: \S+ servers "
    r"\(target <= 0 servers\)",
    # against the floor: orjson.loads of the same input, measured in the same run
    r"\[1 fan-out\] fan-out round, N=2: ours / tango\.Group \(no worse than before\): \S+ x "
    r"\(target <= 1\.4 x\)",
    r"\[5 long runs\] --replay of 200 polls \(tutorial-sized, perf samples on\): \S+ "
    r"snapshots/s \(target >= 5,000 snapshots/s\)",
    r"\[7 against the floor\] one poll, 4 servers x 3 streams, counters only: ours / floor: "
    r"\S+ x \(target <= 6 x\)",
    r"\[7 against the floor\] one poll, 4 servers x 3 streams, perf samples \(39 per side and "
    r"server\): ours / floor: \S+ x \(target <= 3 x\)",
    r"\[7 against the floor\] one poll, 8 servers x 3 streams, counters only: ours / floor: ",
    r"\[7 against the floor\] one poll, 8 servers x 3 streams, perf samples \(39 per side and "
    r"server\): ours / floor: ",
    r"\[7 against the floor\] memory held per server, 8 / 4 servers, counters only: \S+ x "
    r"\(target <= 1\.1 x\)",
    r"\[7 against the floor\] memory held per server, 8 / 4 servers, perf samples ",
]

FIGURES = [
    "== 1. Fan-out: one polling round over N servers",
    "growth of the round with N (ms per added server, between sizes):",
    "== 2. Hung server: 1 of 2 servers stopped with SIGSTOP",
    "ours, round 1",
    "tango.Group, 1 frozen, round 1",
    "tango.Group, 2 frozen, round 1",
    "== 3. Overhead on the monitored system: publisher -> subscriber",
    "without the monitor  median throughput",
    "with --monitor       median throughput",
    "== 4. Monitor CPU per poll: 4 servers x 3 streams",
    "== 5. Long runs: --replay of recordings of 50, 200 polls",
    "== 6. Soak: 4 servers for 40 s at a 0.5 s period, --monitor, --prometheus, -o",
    "server 1 restarted every 12 s; server 2 frozen 2 s every 20 s;",
    "samples of the monitor process over",
    "polls recorded",
    "scrapes answered",
    "== 7. One poll against the floor (orjson.loads of the same replies)",
    "against the floor (orjson.loads of the same input, in the same run):",
    "== Summary: ",
    "cores, load average (1, 5, 15 min)",
]

# the column headings of each table (their spacing follows the figures)
HEADERS = [
    ("ours", "tango.Group", "sequential", "one server", "bound", "ours/Group", "ours/bound"),
    ("round", "took", "others answered"),
    ("phase", "events/s", "lost", "latency median ms", "latency p99 ms", "monitor polls"),
    ("replies", "decode", "update", "render", "total"),
    ("polls", "perf samples", "replay s", "snapshots/s", "peak MiB"),
    ("measure", "first window", "last window", "min", "max"),
    ("from s", "to s", "resident MiB", "threads", "open fds"),
    ("servers", "replies", "floor", "decode", "update", "render", "ours", "ours/floor"),
    ("work", "floor", "ours", "measured", "target"),
]


@pytest.mark.integration
def test_quick_run_prints_every_figure_and_target() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout
    for figure in FIGURES:
        assert figure in out, f"missing {figure!r} in:\n{out}"
    for columns in HEADERS:
        assert any(all(c in line for c in columns) for line in out.splitlines()), columns
    target_lines = [line for line in out.splitlines() if line.startswith("TARGET ")]
    for pattern in TARGETS:
        hits = [line for line in target_lines if re.search(pattern, line)]
        assert len(hits) == 2, (
            f"{pattern!r} not printed once in its section and once in the summary"
        )
        assert all(line.endswith((" met", " NOT MET")) for line in hits)
    assert "== Summary: " in out and f" of {len(TARGETS)} targets met" in out
    # every process it started was stopped: no server of the benchmark is left running
    for started in (str(ROOT / "benchmarks" / "bench_server.py"), "--server EventBench/"):
        left = subprocess.run(["pgrep", "-f", started], capture_output=True, text=True)
        assert left.stdout == "", f"left running: {started}"
