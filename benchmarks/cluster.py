"""N benchmark device servers and one sqlite Tango database, all on 127.0.0.1.

Server `EventBench/<i>` hosts `bench/dev/<i>`; every server but the first subscribes to the
three streams of the one before it, so most replies have a publisher and a subscriber side.
Servers start in parallel batches and are all stopped (in parallel) on leaving the block.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import tango

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)

SERVER_SCRIPT = Path(__file__).with_name("bench_server.py")
BATCH = 8  # servers started at once: they compete for 2 cores while they import
READY_TIMEOUT_S = 120.0


def device_name(index: int) -> str:
    return f"bench/dev/{index}"


def admin_name(index: int) -> str:
    return f"dserver/EventBench/{index}"


@dataclass
class Cluster:
    """`with Cluster(n) as cluster:` runs n servers; `cluster.admins` are full admin names."""

    size: int
    push_period_s: float = 1.0
    chain: bool = True  # server i subscribes to server i - 1
    database: LocalTangoDatabase | None = None
    servers: list[DeviceServerProcess] = field(default_factory=list)
    _tmp: tempfile.TemporaryDirectory | None = None

    @property
    def tango_host(self) -> str:
        assert self.database is not None
        return self.database.tango_host

    @property
    def admins(self) -> list[str]:
        """Full names (`tango://127.0.0.1:PORT/dserver/EventBench/i`)."""
        return [f"tango://{self.tango_host}/{admin_name(i)}" for i in range(self.size)]

    @property
    def devices(self) -> list[str]:
        return [f"tango://{self.tango_host}/{device_name(i)}" for i in range(self.size)]

    def __enter__(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType
    ) -> None:
        self.stop()

    def _start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="event-bench-")
        work = Path(self._tmp.name)
        self.database = LocalTangoDatabase(work / "tango_database.db", log_path=work / "db.log")
        self.database.start()
        self.database.register(*(self._registration(i) for i in range(self.size)))
        for first in range(0, self.size, BATCH):
            batch = [self._server(i, work) for i in range(first, min(first + BATCH, self.size))]
            self.servers += batch
            for server in batch:
                server.start()
            for index, server in enumerate(batch, start=first):
                server.wait_ready([device_name(index)], timeout=READY_TIMEOUT_S)
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(_subscribe_sources, self.devices))

    def _registration(self, index: int) -> DeviceRegistration:
        properties: dict[str, str | list[str]] = {"push_period": str(self.push_period_s)}
        if self.chain and index > 0:
            properties["sources"] = [device_name(index - 1)]
        return DeviceRegistration(
            f"EventBench/{index}", "BenchDevice", device_name(index), properties
        )

    def _server(self, index: int, work: Path) -> DeviceServerProcess:
        command = [sys.executable, str(SERVER_SCRIPT), str(index)]
        return DeviceServerProcess(
            command, self.tango_host, work / f"server-{index}.log", name=f"EventBench/{index}"
        )

    def restart(self, index: int) -> None:
        """Stop server `index` (SIGTERM), start it again and re-make its subscriptions."""
        old = self.servers[index]
        old.stop()
        new = DeviceServerProcess(old.command, self.tango_host, old.log_path, name=old.name)
        self.servers[index] = new
        new.start().wait_ready([device_name(index)], timeout=READY_TIMEOUT_S)
        if self.chain and index > 0:
            _subscribe_sources(self.devices[index])

    def stop(self) -> None:
        """Stop every server (in parallel), then the database; remove the files."""
        try:
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda server: server.stop(), self.servers))
        finally:
            self.servers = []
            if self.database is not None:
                self.database.stop()
                self.database = None
            if self._tmp is not None:
                self._tmp.cleanup()
                self._tmp = None


def _subscribe_sources(device: str) -> None:
    tango.DeviceProxy(device).command_inout("SubscribeSources")


def wait_subscribed(cluster: Cluster, timeout_s: float = 60.0) -> None:
    """Until every subscribing server has received an event (the chain is connected)."""
    deadline = time.monotonic() + timeout_s
    pending = list(range(1, cluster.size)) if cluster.chain else []
    while pending:
        pending = [i for i in pending if _received(cluster.devices[i]) == 0]
        if pending and time.monotonic() > deadline:
            raise RuntimeError(f"{len(pending)} servers received no event in {timeout_s:g} s")
        if pending:
            time.sleep(0.2)


def _received(device: str) -> int:
    try:
        return tango.DeviceProxy(device).read_attribute("received").value
    except tango.DevFailed:
        return 0


def tango_host_env(cluster: Cluster) -> dict[str, str]:
    return {**os.environ, "TANGO_HOST": cluster.tango_host}
