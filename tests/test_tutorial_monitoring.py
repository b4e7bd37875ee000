"""The tutorial compose project's fixes found on a real Docker engine: what "stop everything"
says, services that follow a restart of the namespace they share, and a monitor health check
that reflects whether the monitored servers answer (run here against a real monitor)."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import EventLab
from helpers import wait_until
from ska_tango_event_monitor.local_tango import free_port

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "tutorial" / "diagnose-missing-events"
HEALTHCHECK = PROJECT / "healthcheck.py"
GOLDEN = Path(__file__).parent / "golden" / "prometheus_slow_callback.txt"
STOP_ALL = "docker compose --profile monitoring down"


def compose(*args: str) -> dict:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "docker-compose"), *args, "config", "--format", "json"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_stop_everything_names_the_monitoring_profile() -> None:
    readme = (PROJECT / "README.md").read_text()
    assert f"Stop and remove everything with `{STOP_ALL}`" in readme
    tutorial = " ".join((REPO / "docs" / "tutorial.md").read_text().split())  # prose lines
    assert tutorial.count(STOP_ALL) == 2, "where the tutorial says how to stop the containers"
    for text in (readme, (PROJECT / "compose.yaml").read_text(), (REPO / "README.md").read_text()):
        assert STOP_ALL in text


def test_the_readme_says_which_ps_lists_the_registration() -> None:
    readme = (PROJECT / "README.md").read_text()
    assert "docker compose ps                 # tango-db, dev-hw, dev-top healthy\n" in readme
    assert "docker compose ps -a              # also register-devices, exited (0)" in readme


def test_services_in_the_database_namespace_follow_its_restart() -> None:
    services = compose("--profile", "monitoring")["services"]
    sharing = [name for name, s in services.items() if s.get("network_mode") == "service:tango-db"]
    assert set(sharing) == {"register-devices", "dev-hw", "dev-top", "monitor"}
    for name in sharing:
        assert services[name]["depends_on"]["tango-db"]["restart"] is True, name


def test_the_monitor_health_check_reads_its_metrics() -> None:
    monitor = compose("--profile", "monitoring")["services"]["monitor"]
    command = monitor["command"]
    port = command[command.index("--prometheus") + 1].rpartition(":")[2]
    assert monitor["healthcheck"]["test"] == [
        "CMD",
        "python",
        "/opt/tutorial/healthcheck.py",
        "--metrics",
        f"http://127.0.0.1:{port}/metrics",
    ]


def healthcheck(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), "--metrics", url],
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_no_metrics_is_unhealthy() -> None:
    result = healthcheck(f"http://127.0.0.1:{free_port()}/metrics")
    assert result.returncode == 1
    assert result.stderr.startswith("unhealthy: no metrics at ") and result.stderr.count("\n") == 1


@pytest.fixture
def recorded_exposition() -> Iterator[str]:
    """The golden exposition (a poll recorded weeks ago) served on loopback."""

    class Metrics(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = GOLDEN.read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_an_old_poll_is_unhealthy(recorded_exposition: str) -> None:
    result = healthcheck(recorded_exposition)
    assert result.returncode == 1
    assert "unhealthy: the monitor's last poll is " in result.stderr and " s old" in result.stderr


@pytest.mark.integration
def test_healthy_only_while_every_monitored_server_answers(
    event_lab: EventLab, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    errors = tmp_path / "monitor.err"
    with errors.open("w") as err:
        monitor = subprocess.Popen(
            [sys.executable, "-m", "ska_tango_event_monitor", "--server", "EventLab/*"]
            + ["--polling-period", "1", "--timeout", "1", "--prometheus", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**os.environ, "TANGO_HOST": event_lab.tango_host},
        )
    try:
        wait_until(lambda: healthcheck(url).returncode == 0, timeout=30, what="healthy")
        event_lab.subscriber.pause()  # SIGSTOP: its admin device no longer answers
        try:
            wait_until(lambda: healthcheck(url).returncode == 1, timeout=30, what="unhealthy")
            result = healthcheck(url)
        finally:
            event_lab.subscriber.resume()
        assert (
            result.stderr == "unhealthy: not answering QueryEventSystem: dserver/EventLab/sink\n"
        )
        wait_until(lambda: healthcheck(url).returncode == 0, timeout=30, what="healthy again")
    finally:
        monitor.terminate()
        try:
            monitor.wait(timeout=20)
        except subprocess.TimeoutExpired:
            monitor.kill()
            monitor.wait(timeout=20)
    assert monitor.returncode == 0, errors.read_text()
