"""What the soak benchmark watches from outside the monitor: its process in /proc (resident
memory, threads, open file descriptors), its /metrics scraped like Prometheus does, and the
recording it wrote."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ska_tango_event_monitor.recording import read_recording


@dataclass(frozen=True)
class Sample:
    """The monitor process at `at` seconds after it started polling."""

    at: float
    rss_kib: int
    threads: int
    fds: int
    load: float  # the machine's 1-minute load average


def sample_process(pid: int, at: float) -> Sample | None:
    """From /proc; None once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields["VmRSS"].split()[0])
    return Sample(at, rss, int(fields["Threads"]), fds, os.getloadavg()[0])


@dataclass
class Background:
    """A loop run every `every` s in a daemon thread until `stop`."""

    every: float
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        next_run = time.monotonic()
        while not self._stop.is_set():
            self.once()
            next_run += self.every
            self._stop.wait(max(0.0, next_run - time.monotonic()))

    def once(self) -> None:
        raise NotImplementedError


@dataclass
class ProcessWatch(Background):
    """Samples the monitor process every `every` s."""

    pid: int = 0
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)

    def once(self) -> None:
        sample = sample_process(self.pid, time.monotonic() - self.started)
        if sample is not None:
            self.samples.append(sample)


@dataclass
class Scraper(Background):
    """GET /metrics every `every` s, as Prometheus would; a scrape fails without an answer
    within 1 s, or without the last poll's time stamp in it."""

    url: str = ""
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)

    def once(self) -> None:
        began = time.monotonic()
        try:
            with urllib.request.urlopen(self.url, timeout=1) as response:
                text = response.read().decode()
        except OSError as error:
            self.failed.append(str(error))
            return
        self.durations.append(time.monotonic() - began)
        if "tango_event_monitor_last_poll_timestamp_seconds " in text:
            self.ok += 1
        else:
            self.failed.append("no last poll time stamp")


@dataclass(frozen=True)
class RecordingCheck:
    lines: int
    invalid: int  # lines that are not a JSON object with the recording's keys
    snapshots: int  # what read_recording reads back
    times: tuple[datetime, ...]


def check_recording(path: Path) -> RecordingCheck:
    lines = invalid = 0
    with gzip.open(path, "rt") as recording:
        for line in recording:
            lines += 1
            try:
                record = json.loads(line)
            except ValueError:
                invalid += 1
                continue
            if not isinstance(record, dict) or not {"time", "servers"} <= record.keys():
                invalid += 1
    times = tuple(snapshot.time for snapshot in read_recording(path))
    return RecordingCheck(lines, invalid, len(times), times)


def window_mean(samples: list[Sample], start: float, end: float, value: str) -> float:
    chosen = [getattr(s, value) for s in samples if start <= s.at <= end]
    return sum(chosen) / len(chosen) if chosen else float("nan")
