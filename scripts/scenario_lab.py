"""The lab of one captured scenario: a Tango database, device servers and the monitor.

Everything runs as local processes on 127.0.0.1 (`ska_tango_event_monitor.local_tango`);
`Lab.close` stops them all, by PID. The monitor is the real CLI, run as a subprocess with
`--monitor -o FILE`: its recording is the scenario's recording, never edited afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import tango

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ROOT / "tests" / "servers"
EVENT_LAB, RING_NODE = SERVERS / "event_lab.py", SERVERS / "ring_node.py"
SOURCE, SOURCE_2, SINK, CHURNER, GHOST = (
    "lab/source/1",
    "lab/source/2",
    "lab/sink/1",
    "lab/churn/1",
    "lab/ghost/1",
)
PUB_ADMIN, SINK_ADMIN = "dserver/EventLab/pub", "dserver/EventLab/sink"
MONITOR_TIMEOUT_S = 120
START_BATCH = 8  # servers started at once: they compete for 2 cores while they import


Wrap = Callable[[list[str]], list[str]]  # a command -> the command that runs it


class CaptureError(RuntimeError):
    pass


class NotThisTime(CaptureError):
    """The phenomenon depends on timing and did not happen: the scenario is run again."""


@dataclass
class MonitorRun:
    """The monitor CLI as a subprocess, its recording and stdout in the work directory."""

    process: subprocess.Popen[bytes]
    recording: Path
    stdout: Path
    stderr: Path
    command: list[str]

    def polls(self) -> int:
        """Snapshots written so far (complete lines; gzip is flushed after each line)."""
        try:
            data = self.recording.read_bytes()
        except FileNotFoundError:
            return 0
        if self.recording.suffix == ".gz":
            data = zlib.decompressobj(wbits=31).decompress(data)  # no trailer yet: no gzip.open
        return data.count(b"\n")

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
        self,
        instance: str,
        devices: Sequence[str],
        env: dict[str, str] | None = None,
        script: Path = EVENT_LAB,
        wrap: Wrap | None = None,
    ) -> DeviceServerProcess:
        """Start `instance` of `script` (again, after a kill: same command and environment);
        `wrap` turns the command into the one run (e.g. with its own host names)."""
        server = self._server(instance, env, script, wrap).start()
        server.wait_ready(devices, timeout=30)
        return server

    def start_servers(
        self, devices_of: dict[str, Sequence[str]], script: Path, ready_timeout: float = 120
    ) -> None:
        """Start many servers of `script`, `START_BATCH` at a time, each batch ready first."""
        instances = list(devices_of)
        for first in range(0, len(instances), START_BATCH):
            batch = [
                self._server(instance, None, script)
                for instance in instances[first : first + START_BATCH]
            ]
            for server in batch:
                server.start()
            for instance, server in zip(instances[first:], batch, strict=False):
                server.wait_ready(devices_of[instance], timeout=ready_timeout)

    def _server(
        self, instance: str, env: dict[str, str] | None, script: Path, wrap: Wrap | None = None
    ) -> DeviceServerProcess:
        self.server_env.setdefault(instance, env)
        command = [sys.executable, str(script), instance]
        command = wrap(command) if wrap else command
        log = self.workdir / f"{instance}.log"
        server = DeviceServerProcess(command, self.tango_host, log, self.server_env[instance])
        self.servers[instance] = server
        self.stack.callback(server.stop)
        return server

    def proxy(self, device: str) -> tango.DeviceProxy:
        """A client of `device` in this scenario's database (full name: no TANGO_HOST)."""
        proxy = tango.DeviceProxy(f"tango://{self.tango_host}/{device}")
        proxy.set_timeout_millis(3000)
        return proxy

    def command_all(self, devices: Sequence[str], command: str) -> None:
        """`command` on every device, 8 at a time."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda device: self.proxy(device).command_inout(command), devices))

    def monitor(
        self,
        devices: Sequence[str],
        period: float,
        count: int,
        compress: bool = False,
        wrap: Wrap | None = None,
    ) -> MonitorRun:
        recording = self.workdir / f"scenario_{self.name}.jsonl{'.gz' if compress else ''}"
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
        command = wrap(command) if wrap else command
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
        """The monitor first (it switches perf monitoring off), then the servers at once."""
        try:
            if self.monitor_run is not None:
                self.monitor_run.stop()
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(DeviceServerProcess.stop, self.servers.values()))
        finally:
            self.stack.close()  # the database, and anything stopped above: nothing twice


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


def sink_callback(lab: Lab, admin: str = SINK_ADMIN) -> dict:
    [callback] = lab.query(admin)["client"]["event_callbacks"].values()
    return callback


def stalled(read: Callable[[], int], quiet_s: float = 0.5) -> bool:
    """The value read did not change for `quiet_s`."""
    before = read()
    time.sleep(quiet_s)
    return read() == before


def recorded(run: MonitorRun) -> list[dict]:
    """The recording's lines as JSON (to check that the phenomenon happened)."""
    data = run.recording.read_bytes()
    if run.recording.suffix == ".gz":
        data = zlib.decompressobj(wbits=31).decompress(data)
    return [json.loads(line) for line in data.decode().splitlines()]
