"""Record real event-system scenarios for the findings tests.

    .venv/bin/python scripts/capture_scenarios.py [--out tests/data] [SCENARIO...]

For each scenario: a fresh in-memory sqlite Tango database and EventLab device servers
(tests/servers/event_lab.py) run as local processes on 127.0.0.1; the real monitor runs as
a subprocess (`python -m ska_tango_event_monitor --monitor --polling-period P --count N -o
FILE DEVICE...`) while the scenario is driven; its recording is kept as
`scenario_<name>.jsonl`. Nothing is edited afterwards. The report of each recording is a
golden file, `tests/golden/scenario_<name>.txt`: after a new capture, regenerate them with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_findings.py` and review the diff. A scenario
that fails keeps the files of an earlier capture and makes the script exit with status 1.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import tango

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)

ROOT = Path(__file__).resolve().parent.parent
EVENT_LAB = ROOT / "tests" / "servers" / "event_lab.py"
SOURCE, SOURCE_2, SINK, CHURNER, GHOST = (
    "lab/source/1",
    "lab/source/2",
    "lab/sink/1",
    "lab/churn/1",
    "lab/ghost/1",
)
PUB_ADMIN, SINK_ADMIN = "dserver/EventLab/pub", "dserver/EventLab/sink"
MONITOR_TIMEOUT_S = 120


class CaptureError(RuntimeError):
    pass


class NotThisTime(CaptureError):
    """The phenomenon depends on timing and did not happen: the scenario is run again."""


ATTEMPTS = 3


@dataclass
class MonitorRun:
    """The monitor CLI as a subprocess, its recording and stdout in the work directory."""

    process: subprocess.Popen[bytes]
    recording: Path
    stdout: Path
    stderr: Path
    command: list[str]

    def polls(self) -> int:
        """Snapshots written so far (complete lines of the recording)."""
        try:
            return self.recording.read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    def wait_polls(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.polls() < count:
            if self.process.poll() is not None:
                raise CaptureError(
                    f"the monitor exited with status {self.process.returncode} "
                    f"after {self.polls()} poll(s): {self.stderr.read_text().strip()}"
                )
            if time.monotonic() > deadline:
                raise CaptureError(f"no poll {count} from the monitor within {timeout:g} s")
            time.sleep(0.02)

    def finish(self, timeout: float = MONITOR_TIMEOUT_S) -> None:
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise CaptureError(f"the monitor did not finish within {timeout:g} s") from None
        if status != 0:
            raise CaptureError(
                f"the monitor exited with status {status}: {self.stderr.read_text().strip()}"
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the monitor switches perf monitoring off
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Lab:
    """One scenario's database, servers and monitor; `close` stops them all."""

    name: str
    workdir: Path
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    database: LocalTangoDatabase | None = None
    servers: dict[str, DeviceServerProcess] = field(default_factory=dict)
    server_env: dict[str, dict[str, str] | None] = field(default_factory=dict)
    monitor_run: MonitorRun | None = None

    def start_database(self, *registrations: DeviceRegistration) -> None:
        self.database = LocalTangoDatabase(log_path=self.workdir / "database.log").start()
        self.stack.callback(self.database.stop)
        self.database.register(*registrations)

    @property
    def tango_host(self) -> str:
        assert self.database is not None
        return self.database.tango_host

    def start_server(
        self, instance: str, devices: Sequence[str], env: dict[str, str] | None = None
    ) -> DeviceServerProcess:
        """Start EventLab/`instance` (again, after a kill: same command and environment)."""
        self.server_env.setdefault(instance, env)
        command = [sys.executable, str(EVENT_LAB), instance]
        log = self.workdir / f"{instance}.log"
        server = DeviceServerProcess(command, self.tango_host, log, self.server_env[instance])
        self.servers[instance] = server
        self.stack.callback(server.stop)
        server.start().wait_ready(devices, timeout=30)
        return server

    def proxy(self, device: str) -> tango.DeviceProxy:
        """A client of `device` in this scenario's database (full name: no TANGO_HOST)."""
        proxy = tango.DeviceProxy(f"tango://{self.tango_host}/{device}")
        proxy.set_timeout_millis(3000)
        return proxy

    def monitor(self, devices: Sequence[str], period: float, count: int) -> MonitorRun:
        recording = self.workdir / f"scenario_{self.name}.jsonl"
        stdout, stderr = self.workdir / "monitor.out", self.workdir / "monitor.err"
        command = [
            sys.executable,
            "-m",
            "ska_tango_event_monitor",
            "--monitor",
            "--polling-period",
            f"{period:g}",
            "--count",
            str(count),
            "-o",
            str(recording),
            *devices,
        ]
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env={**os.environ, "TANGO_HOST": self.tango_host},
                cwd=self.workdir,
            )
        self.monitor_run = MonitorRun(process, recording, stdout, stderr, command)
        self.stack.callback(self.monitor_run.stop)
        return self.monitor_run

    def received(self, sink: str = SINK) -> int:
        return self.proxy(sink).read_attribute("received").value

    def query(self, admin: str) -> dict:
        return json.loads(self.proxy(admin).command_inout("QueryEventSystem"))

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise CaptureError(
                    f"{self.name}: timed out after {timeout:g} s waiting for {what}"
                )
            time.sleep(0.05)

    def close(self) -> None:
        self.stack.close()


def lab_devices(
    sink_sources: Sequence[str] = (SOURCE,), sink_delay: float = 0.0
) -> list[DeviceRegistration]:
    return [
        DeviceRegistration("EventLab/pub", "EventSource", SOURCE),
        DeviceRegistration("EventLab/pub", "EventSource", SOURCE_2),
        DeviceRegistration(
            "EventLab/sink",
            "EventSink",
            SINK,
            {"sources": list(sink_sources), "callback_delay": str(sink_delay)},
        ),
    ]


def start_pair(
    lab: Lab, pub_env: dict[str, str] | None = None, sink_devices: Sequence[str] = (SINK,)
) -> None:
    lab.start_server("pub", [SOURCE, SOURCE_2], pub_env)
    lab.start_server("sink", list(sink_devices))


# --------------------------------------------------------------------------------------
# Scenarios: each returns notes on what happened (printed, not recorded)
# --------------------------------------------------------------------------------------


def healthy(lab: Lab) -> str:
    """A publisher pushing at 20 Hz to a fast subscriber."""
    lab.start_database(*lab_devices())
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(20.0)
    lab.wait_until(lambda: lab.received() > 5, 10, "the sink to receive events")
    run = lab.monitor([SOURCE, SINK], period=1, count=5)
    run.finish()
    source.StopPushing()
    return f"sink received {lab.received()} events"


def slow_callback(lab: Lab, delay: float = 0.1, rate: float = 20.0, count: int = 6) -> str:
    """The subscriber's callback sleeps `delay` s while the publisher pushes at `rate` Hz.

    Also captured with a 0.25 s callback, and with a 1.5 s one (longer than the period).
    """
    lab.start_database(*lab_devices(sink_delay=delay))
    start_pair(lab)
    source = lab.proxy(SOURCE)
    run = lab.monitor([SOURCE, SINK], period=1, count=count)
    run.wait_polls(1)
    source.StartPushing(rate)
    run.finish()
    source.StopPushing()
    lab.proxy(SINK).SetDelay(0.0)  # drain before the servers stop
    return f"sink received {lab.received()} of {source.read_attribute('value').value} events"


def missed_events(lab: Lab) -> str:
    """Publisher-side loss at a small ZMQ high-water mark: a burst to a slow subscriber."""
    lab.start_database(*lab_devices(sink_delay=0.005))
    start_pair(lab, pub_env={"TANGO_DS_EVENT_BUFFER_HWM": "10"})
    source, sink = lab.proxy(SOURCE), lab.proxy(SINK)
    run = lab.monitor([SOURCE, SINK], period=1, count=8)
    run.wait_polls(1)
    source.PushBurst(BURST)
    lab.wait_until(lambda: not source.read_attribute("pushing").value, 30, "the burst to end")
    sink.SetDelay(0.0)  # drain what was queued
    pushed = source.read_attribute("value").value
    lab.wait_until(lambda: stalled(lab.received), 30, "the sink to drain")
    tail = sink_callback(lab)
    if tail["server_counter"] == pushed:
        raise NotThisTime("the tail of the burst was not lost")
    # two polls with the tail of the burst missing: it shows as a backlog until ...
    run.wait_polls(run.polls() + 2)
    source.Push(1)  # ... the next event arrives: only then is the gap detected
    run.finish()
    callback = sink_callback(lab)
    if callback["missed_event_count"] == 0:
        raise NotThisTime("no event was lost: no missed_event_count to record")
    return (
        f"pushed {pushed + 1}, sink received {lab.received()}, missed_event_count "
        f"{callback['missed_event_count']}, tail of the burst lost: "
        f"{pushed - tail['server_counter']} events"
    )


def sink_callback(lab: Lab) -> dict:
    [callback] = lab.query(SINK_ADMIN)["client"]["event_callbacks"].values()
    return callback


BURST = 20000


def stalled(read: Callable[[], int], quiet_s: float = 0.5) -> bool:
    """The value read did not change for `quiet_s`."""
    before = read()
    time.sleep(quiet_s)
    return read() == before


def publisher_restart(lab: Lab) -> str:
    """The publisher is killed and started again while the subscriber stays up."""
    lab.start_database(*lab_devices())
    start_pair(lab)
    lab.proxy(SOURCE).StartPushing(5.0)
    lab.wait_until(lambda: lab.received() > 3, 10, "the sink to receive events")
    count = 24
    run = lab.monitor([SOURCE, SINK], period=1, count=count)
    run.wait_polls(3)
    before = lab.received()
    lab.servers["pub"].kill()
    killed = time.monotonic()
    time.sleep(2.5)  # down for a few polls
    lab.start_server("pub", [SOURCE, SOURCE_2])
    lab.proxy(SOURCE).StartPushing(5.0)
    lab.wait_until(lambda: lab.received() > before + 1, 40, "the sink to receive again")
    resumed = time.monotonic() - killed
    if run.polls() > count - 3:
        raise CaptureError("events resumed too late: increase the count of polls")
    run.finish()
    counters = [
        callback["server_counter"]
        for line in run.recording.read_text().splitlines()
        for server in json.loads(line)["servers"]
        if server["admin"] == SINK_ADMIN and "reply" in server
        for callback in server["reply"]["client"]["event_callbacks"].values()
    ]
    if not any(after < before for before, after in itertools.pairwise(counters)):
        raise CaptureError(f"the subscriber's server counter never went back: {counters}")
    lab.proxy(SOURCE).StopPushing()
    return f"events resumed {resumed:.1f} s after the kill"


def churn(lab: Lab) -> str:
    """Another device of the subscriber's process subscribes/unsubscribes in a loop."""
    lab.start_database(
        *lab_devices(),
        DeviceRegistration(
            "EventLab/sink", "EventSink", CHURNER, {"churn_target": f"{SOURCE_2}/quiet"}
        ),
    )
    start_pair(lab, sink_devices=(SINK, CHURNER))
    source, churner = lab.proxy(SOURCE), lab.proxy(CHURNER)
    source.StartPushing(20.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=5)
    run.wait_polls(1)
    churner.Churn(1_000_000)
    run.finish()
    churner.StopChurn()
    source.StopPushing()
    return f"{churner.read_attribute('churn_cycles').value} churn cycles"


def not_connected(lab: Lab) -> str:
    """A stateless subscription to a registered device whose server does not run."""
    lab.start_database(
        *lab_devices(sink_sources=(SOURCE, GHOST)),
        DeviceRegistration("EventLab/ghost", "EventSource", GHOST),
    )
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(5.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=3)
    run.finish()
    source.StopPushing()
    reply = lab.query(SINK_ADMIN)
    return f"{len(reply['client']['not_connected'])} subscription(s) not connected"


def samples_stolen(lab: Lab) -> str:
    """A second client calls QueryEventSystem on the same servers in a loop."""
    lab.start_database(*lab_devices())
    start_pair(lab)
    source = lab.proxy(SOURCE)
    source.StartPushing(2.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=5)
    run.wait_polls(1)
    stop = threading.Event()
    calls = [0]

    def steal() -> None:
        admins = [lab.proxy(PUB_ADMIN), lab.proxy(SINK_ADMIN)]
        while not stop.is_set():
            for admin in admins:
                admin.command_inout("QueryEventSystem")
            calls[0] += 1
            time.sleep(0.005)

    thief = threading.Thread(target=steal, daemon=True)
    thief.start()
    try:
        run.finish()
    finally:
        stop.set()
        thief.join()
    source.StopPushing()
    return f"the other client queried {calls[0]} times"


SCENARIOS: dict[str, Callable[[Lab], str]] = {
    "healthy": healthy,
    "slow_callback": slow_callback,
    "slow_callback_250ms": lambda lab: slow_callback(lab, delay=0.25, rate=15.0),
    "callback_longer_than_period": lambda lab: slow_callback(lab, delay=1.5, rate=2.5, count=8),
    "missed_events": missed_events,
    "publisher_restart": publisher_restart,
    "churn": churn,
    "not_connected": not_connected,
    "samples_stolen": samples_stolen,
}


def capture(name: str, out: Path, keep_logs: bool) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"scenario-{name}-") as tmp:
        lab = Lab(name, Path(tmp))
        try:
            notes = SCENARIOS[name](lab)
        except NotThisTime:
            raise
        except BaseException:
            if lab.monitor_run is not None:
                print(f"  monitor: {' '.join(lab.monitor_run.command)}", file=sys.stderr)
            for server in lab.servers.values():
                print(f"  {server.name} log tail:\n{server.log_tail()}", file=sys.stderr)
            raise
        finally:
            lab.close()
            if keep_logs:
                for log in Path(tmp).glob("*.log"):
                    shutil.copy(log, out / f"scenario_{name}.{log.name}")
        run = lab.monitor_run
        assert run is not None
        warnings, polls = run.stderr.read_text().strip(), run.polls()
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(run.recording, out / f"scenario_{name}.jsonl")
    took = time.monotonic() - started
    print(f"{name}: {polls} polls in {took:.1f} s; {notes}")
    if warnings:
        print(f"  monitor stderr: {warnings}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data")
    parser.add_argument("--keep-logs", action="store_true", help="copy server logs to --out")
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help=", ".join(SCENARIOS))
    options = parser.parse_args(argv)
    if unknown := sorted(set(options.scenarios) - SCENARIOS.keys()):
        parser.error(
            f"unknown scenario(s) {', '.join(unknown)}: choose from {', '.join(SCENARIOS)}"
        )
    names = options.scenarios or list(SCENARIOS)
    started, failed = time.monotonic(), []
    for name in names:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                capture(name, options.out, options.keep_logs)
                break
            except NotThisTime as error:
                print(f"{name}: attempt {attempt} of {ATTEMPTS}: {error}", file=sys.stderr)
            except (CaptureError, tango.DevFailed, RuntimeError) as error:
                print(f"{name}: FAILED: {error}", file=sys.stderr)
                failed.append(name)
                break
        else:
            failed.append(name)
    print(f"{len(names) - len(failed)} scenario(s) captured in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
