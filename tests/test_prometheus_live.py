"""`--all --prometheus` against the tutorial system: the backlog of the position stream
grows in the scraped metrics during a scan; a bad or busy port is a one-line error."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from helpers import run_cli
from ska_tango_event_monitor.local_tango import free_port

BIN = Path(sys.executable).parent
TUTORIAL = str(BIN / "ska-tango-event-monitor-tutorial")
MONITOR = [sys.executable, "-m", "ska_tango_event_monitor"]


def position_backlog(url: str) -> float | None:
    try:
        text = urllib.request.urlopen(url, timeout=2).read().decode()
    except OSError:
        return None
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "tango_event_backlog_events" and sample.labels.get(
                "stream", ""
            ).endswith("foo/bar/hw/position"):
                return sample.value
    return None


@pytest.mark.integration
def test_backlog_grows_in_the_scraped_metrics_during_a_scan(tmp_path: Path) -> None:
    state = tmp_path / "state"
    up = subprocess.run(
        [TUTORIAL, "up", "--state-dir", str(state), "--scan-points", "60", "--scan-timeout", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert up.returncode == 0, up.stderr
    env = {**os.environ, "TANGO_HOST": re.search(r"export TANGO_HOST=(\S+)", up.stdout)[1]}
    port = free_port()
    monitor = subprocess.Popen(
        [*MONITOR, "--all", "--prometheus", str(port), "--polling-period", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        scan = subprocess.Popen([TUTORIAL, "scan", "--state-dir", str(state)], env=env)
        seen: list[float] = []
        deadline = time.monotonic() + 8  # the 6 s scan and a little more
        while time.monotonic() < deadline:
            if (value := position_backlog(url)) is not None:
                seen.append(value)
            time.sleep(0.5)
        scan.wait(timeout=60)
        monitor.send_signal(signal.SIGINT)
        _, err = monitor.communicate(timeout=20)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.wait()
        subprocess.run([TUTORIAL, "down", "--state-dir", str(state)], timeout=60)
    assert monitor.returncode == 0, err
    assert len(seen) >= 5, seen
    assert max(seen) >= 10 and seen.index(max(seen)) > 0, seen  # it grew during the scan


def test_the_exporter_needs_live_monitoring() -> None:
    status, _, err = run_cli("--prometheus", "9100", "--replay", "x.jsonl")
    assert status == 2 and "not --replay" in err and err.count("\n") == 1


@pytest.mark.integration
def test_a_busy_port_is_a_one_line_error(lab_database: object) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, out, err = run_cli("--prometheus", str(port), "--count", "1", "lab/sink/1")
    assert (status, out) == (8, "")
    assert err.count("\n") == 1 and str(port) in err


@pytest.mark.integration
def test_a_bad_address_is_a_one_line_error(lab_database: object) -> None:
    status, out, err = run_cli("--prometheus", "127.0.0.1:notaport", "--count", "1", "lab/sink/1")
    assert status == 8 and out == ""
    assert err.count("\n") == 1 and "notaport" in err
