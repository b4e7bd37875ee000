"""Benchmark 6: weeks, not minutes. The monitor as a facility runs it, for a long while.

`ska-tango-event-monitor --server 'EventBench/*' --monitor --polling-period P --prometheus
127.0.0.1:PORT -o soak.jsonl.gz` (a subprocess) watches N benchmark servers (cluster.py,
three streams each, pushed every `push_period_s`; each subscribes to the one before). Meanwhile
one server is restarted every `restart_every_s`, another frozen (SIGSTOP) for `freeze_for_s`
every `freeze_every_s`, and /metrics is scraped every second; the monitor's resident memory,
threads and open file descriptors are sampled from /proc. At the end the monitor is stopped
with SIGINT. Checked: the three resources flat (the last `window_s` against the first), no
poll later than its period by more than the timeout, every recorded line valid, every scrape
answered, and performance monitoring off in every server afterwards.
"""

from __future__ import annotations

import itertools
import json
import math
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import tango

from benchmarks.cluster import Cluster, tango_host_env, wait_subscribed
from benchmarks.results import Report, Target, percentile
from benchmarks.soak_probes import (
    ProcessWatch,
    Sample,
    Scraper,
    check_recording,
    window_mean,
)
from ska_tango_event_monitor.local_tango import free_port

FLAT = 1.10  # last window at most this times the first
STOP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class SoakSettings:
    servers: int = 20
    duration_s: float = 1800.0
    period_s: float = 0.5
    push_period_s: float = 0.5
    restart_every_s: float = 60.0
    freeze_every_s: float = 240.0
    freeze_for_s: float = 10.0
    window_s: float = 300.0  # first and last minutes compared
    sample_every_s: float = 5.0

    @property
    def timeout_s(self) -> float:
        """The monitor's --timeout: its default, 3 s or the period if shorter."""
        return min(3.0, self.period_s)

    @property
    def restarted(self) -> int:
        return 1

    @property
    def frozen(self) -> int:
        return self.servers // 2


@dataclass
class Chaos:
    """Restarts one server and freezes another on their schedules, in a thread."""

    cluster: Cluster
    settings: SoakSettings
    restarts: int = 0
    freezes: int = 0
    failures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=120)
        frozen = self.cluster.servers[self.settings.frozen]
        if frozen.paused:
            frozen.resume()

    def _run(self) -> None:
        began = time.monotonic()
        next_restart = self.settings.restart_every_s
        next_freeze = self.settings.freeze_every_s / 2
        while not self._stop.wait(0.1):
            now = time.monotonic() - began
            try:
                if now >= next_restart:
                    next_restart += self.settings.restart_every_s
                    self.cluster.restart(self.settings.restarted)
                    self.restarts += 1
                if now >= next_freeze:
                    next_freeze += self.settings.freeze_every_s
                    self._freeze()
            except Exception as error:  # reported, and the soak goes on
                self.failures += (f"{type(error).__name__}: {error}",)

    def _freeze(self) -> None:
        server = self.cluster.servers[self.settings.frozen]
        server.pause()
        self.freezes += 1
        self._stop.wait(self.settings.freeze_for_s)
        server.resume()


def run(report: Report, settings: SoakSettings) -> None:
    seconds = settings.duration_s
    length = f"{seconds / 60:g} min" if seconds >= 120 else f"{seconds:g} s"
    report.section(
        f"6. Soak: {settings.servers} servers for {length} at a {settings.period_s:g} s "
        f"period, --monitor, --prometheus, -o"
    )
    report.say(
        f"  server {settings.restarted} restarted every {settings.restart_every_s:g} s; "
        f"server {settings.frozen} frozen {settings.freeze_for_s:g} s every "
        f"{settings.freeze_every_s:g} s; /metrics scraped every 1 s; "
        f"--timeout {settings.timeout_s:g} s"
    )
    with Cluster(settings.servers, push_period_s=settings.push_period_s) as cluster:
        wait_subscribed(cluster)
        with tempfile.TemporaryDirectory(prefix="event-bench-soak-") as tmp:
            _soak(report, cluster, settings, Path(tmp))


def _soak(report: Report, cluster: Cluster, settings: SoakSettings, tmp: Path) -> None:
    recording, errors = tmp / "soak.jsonl.gz", tmp / "monitor.err"
    url_port = free_port()
    command = [sys.executable, "-m", "ska_tango_event_monitor", "--server", "EventBench/*"]
    command += ["--monitor", "--polling-period", str(settings.period_s)]
    command += ["--prometheus", f"127.0.0.1:{url_port}", "-o", str(recording)]
    with errors.open("w") as err:
        monitor = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=err, env=tango_host_env(cluster)
        )
    watch = ProcessWatch(settings.sample_every_s, pid=monitor.pid)
    scraper = Scraper(1.0, url=f"http://127.0.0.1:{url_port}/metrics")
    chaos = Chaos(cluster, settings)
    try:
        _wait_first_poll(recording, monitor)
        watch.started = time.monotonic()
        for part in (watch, scraper, chaos):
            part.start()
        time.sleep(settings.duration_s)
    finally:
        for part in (chaos, scraper, watch):
            part.stop()
        status = _stop(monitor)
    _report(report, settings, cluster, watch, scraper, chaos, recording, errors, status)


def _wait_first_poll(recording: Path, monitor: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not (recording.exists() and recording.stat().st_size > 0):
        if monitor.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the monitor did not start (status {monitor.poll()})")
        time.sleep(0.1)


def _stop(monitor: subprocess.Popen) -> int:
    """SIGINT, as Ctrl-C: perf monitoring off in every server, the recording closed."""
    monitor.send_signal(signal.SIGINT)
    try:
        return monitor.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        monitor.kill()
        monitor.wait()
        return -signal.SIGKILL


def _trend(samples: list[Sample], settings: SoakSettings) -> list[list[object]]:
    """The means of each window in turn: whether a resource creeps or levels off."""
    end = samples[-1].at if samples else 0.0
    rows: list[list[object]] = []
    start = 0.0
    while end - start > settings.sample_every_s:  # no window of a last sample alone
        stop = min(start + settings.window_s, end)
        means = [window_mean(samples, start, stop, name) for name in ("rss_kib", "threads", "fds")]
        rows.append([f"{start:.0f}", f"{stop:.0f}", means[0] / 1024, means[1], means[2]])
        start = stop
    return rows


def _perf_on(cluster: Cluster) -> list[str]:
    """The servers whose replies still carry performance samples (not null)."""
    on = []
    for admin in cluster.admins:
        reply = json.loads(tango.DeviceProxy(admin).command_inout("QueryEventSystem"))
        sides = [reply.get(side) for side in ("server", "client")]
        if any(side is not None and side.get("perf") is not None for side in sides):
            on.append(admin.rpartition("/dserver/")[2])
    return on


def _report(
    report: Report,
    settings: SoakSettings,
    cluster: Cluster,
    watch: ProcessWatch,
    scraper: Scraper,
    chaos: Chaos,
    recording: Path,
    errors: Path,
    status: int,
) -> None:
    samples = watch.samples
    end = samples[-1].at if samples else 0.0
    first, last = (0.0, settings.window_s), (end - settings.window_s, end)
    rows, ratios = [], {}
    for name, label, scale in (
        ("rss_kib", "resident memory MiB", 1024),
        ("threads", "threads", 1),
        ("fds", "open file descriptors", 1),
    ):
        before, after = (window_mean(samples, *w, name) / scale for w in (first, last))
        values = [getattr(s, name) / scale for s in samples]
        rows.append([label, before, after, min(values), max(values)])
        ratios[label] = after / before
    loads = [s.load for s in samples] or [math.nan]
    report.say(
        f"  {len(samples)} samples of the monitor process over {end / 60:.1f} min; "
        f"windows: the first and the last {settings.window_s:g} s; load average (1 min) "
        f"{min(loads):.1f} to {max(loads):.1f}, median {percentile(loads, 50):.1f}"
    )
    report.table(["measure", "first window", "last window", "min", "max"], rows)
    report.say("  by window (means):")
    report.table(
        ["from s", "to s", "resident MiB", "threads", "open fds"], _trend(samples, settings)
    )
    checked = check_recording(recording)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(checked.times)]
    late = [gap - settings.period_s for gap in gaps]
    overruns = errors.read_text().count("longer than the polling period")
    report.say(
        f"  {checked.lines} polls recorded ({recording.stat().st_size / 2**20:.1f} MiB gz), "
        f"read back {checked.snapshots}; beyond the period: median "
        f"{percentile(late, 50) * 1e3:.1f} ms, p99 {percentile(late, 99) * 1e3:.1f} ms; "
        f"{overruns} overrun warnings",
        f"  {chaos.restarts} restarts, {chaos.freezes} freezes"
        + (f", chaos failures: {'; '.join(chaos.failures)}" if chaos.failures else ""),
        f"  {scraper.ok} scrapes answered, {len(scraper.failed)} failed; scrape p99 "
        f"{percentile(scraper.durations, 99) * 1e3:.1f} ms; monitor exit status {status}",
    )
    perf_on = _perf_on(cluster)

    def target(name: str, measured: float, limit: float, unit: str) -> None:
        report.target(Target("6 soak", name, measured, limit, unit))

    for label, ratio in ratios.items():
        target(f"{label}, last / first window (flat)", ratio, FLAT, "x")
    target("latest poll beyond its period", max(late, default=math.nan), settings.timeout_s, "s")
    bad_lines = checked.invalid + checked.lines - checked.snapshots
    target("recorded lines not valid", bad_lines, 0, "lines")
    target("failed scrapes", len(scraper.failed), 0, "scrapes")
    target("servers with performance monitoring on at the end", len(perf_on), 0, "servers")
    if perf_on:
        report.note(f"performance monitoring still on in {', '.join(perf_on)}")
    if scraper.failed:
        report.note(f"failed scrapes: {'; '.join(sorted(set(scraper.failed))[:3])}")
    if status != 0:
        report.note(f"the monitor exited with {status}: {errors.read_text()[-500:]}")
