"""A real Prometheus process for the tests: its configuration, its start and stop, and its
HTTP API on loopback (tests/test_prometheus_server.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_tools import RULES

JOB = "tango-event-monitor"


@dataclass
class Facility:
    prometheus: str  # http://127.0.0.1:PORT
    instances: dict[str, str]  # shard -> its scrape target (Prometheus' `instance`)
    started: float  # time.time() when Prometheus started
    tango_host: str = ""  # the Tango database of the servers (their `tango_host` label)

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector of `expr` now; fails on a query Prometheus refuses."""
        return api(self.prometheus, "query", query=expr)["result"]

    def labels(self, expr: str) -> list[dict[str, str]]:
        return [series["metric"] for series in self.query(expr)]


def api(base: str, endpoint: str, **params: str) -> Any:
    url = f"{base}/api/v1/{endpoint}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:  # 400 for a query that does not parse
        answer = json.load(error)
    assert answer["status"] == "success", (params, answer)
    return answer["data"]


def prometheus_config(targets: dict[str, str]) -> dict[str, Any]:
    return {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": JOB, "static_configs": [{"targets": sorted(targets.values())}]}
        ],
    }


def wait_ready(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, f"{url} not ready: " + log.read_text()[-3000:]
        time.sleep(0.2)


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop one process we started, by its PID: `sig`, then SIGKILL after 15 s."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
