"""Shared fixtures: recorded replies, and real device servers on loopback."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DATA = Path(__file__).parent / "data"
SERVERS = Path(__file__).parent / "servers"


@pytest.fixture
def recorded_scan() -> Path:
    """A recording of the tutorial system (slow callback) made by `-o` on real servers."""
    return DATA / "slow_callback_scan.jsonl"


@dataclass
class EventLab:
    """EventLab/pub hosts lab/source/1 and lab/source/2; EventLab/sink hosts lab/sink/1,
    which subscribes to the `value` change events of both sources."""

    tango_host: str
    database: object
    publisher: object
    subscriber: object

    def start_subscriber(self) -> None:
        self.subscriber.start().wait_ready(["lab/sink/1"], timeout=30)


def _lab_server(instance: str, tango_host: str, log_dir: Path):
    from ska_tango_event_monitor.local_tango import DeviceServerProcess

    command = [sys.executable, str(SERVERS / "event_lab.py"), instance]
    return DeviceServerProcess(command, tango_host, log_dir / f"{instance}.log")


@pytest.fixture(scope="session")
def lab_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One sqlite Tango database for the whole run, with the EventLab devices registered.

    cppTango keeps the first default database a process connects to, so the tests that
    use short names share this one TANGO_HOST instead of changing it per test.
    """
    from ska_tango_event_monitor.local_tango import DeviceRegistration, LocalTangoDatabase

    log_dir = tmp_path_factory.mktemp("tango-db")
    database = LocalTangoDatabase(log_path=log_dir / "db.log").start()
    try:
        database.register(
            DeviceRegistration("EventLab/pub", "EventSource", "lab/source/1"),
            DeviceRegistration("EventLab/pub", "EventSource", "lab/source/2"),
            DeviceRegistration(
                "EventLab/sink",
                "EventSink",
                "lab/sink/1",
                {"sources": ["lab/source/1", "lab/source/2"]},
            ),
        )
        previous = os.environ.get("TANGO_HOST")
        os.environ["TANGO_HOST"] = database.tango_host
        yield database
    finally:
        database.stop()
        if previous is None:
            os.environ.pop("TANGO_HOST", None)
        else:
            os.environ["TANGO_HOST"] = previous


@pytest.fixture
def event_lab(lab_database, tmp_path: Path) -> Iterator[EventLab]:
    """Fresh EventLab device servers (fresh counters); every process stopped afterwards."""
    publisher = _lab_server("pub", lab_database.tango_host, tmp_path)
    subscriber = _lab_server("sink", lab_database.tango_host, tmp_path)
    try:
        publisher.start().wait_ready(["lab/source/1", "lab/source/2"], timeout=30)
        lab = EventLab(lab_database.tango_host, lab_database, publisher, subscriber)
        lab.start_subscriber()
        yield lab
    finally:
        for process in (subscriber, publisher):
            process.stop()


@pytest.fixture
def no_database_pair(tmp_path: Path) -> Iterator[list[str]]:
    """A publisher and a subscriber server without database, in separate processes; their
    devices' full names (`tango://127.0.0.1:PORT/nodb/.../1#dbase=no`), the sink subscribed."""
    import tango

    from ska_tango_event_monitor.local_tango import DeviceServerProcess, free_port

    ports = free_port(), free_port()
    names = [f"tango://127.0.0.1:{ports[0]}/nodb/source/1#dbase=no"]
    names.append(f"tango://127.0.0.1:{ports[1]}/nodb/sink/1#dbase=no")
    processes = [
        DeviceServerProcess(
            [
                sys.executable,
                str(SERVERS / "event_lab.py"),
                instance,
                "-nodb",
                "-dlist",
                device,
                "-ORBendPoint",
                f"giop:tcp:127.0.0.1:{port}",
            ],
            None,
            tmp_path / f"{instance}.log",
            {"EVENT_LAB_CLASS": device_class},
        )
        for instance, device_class, device, port in (
            ("nodbpub", "EventSource", "nodb/source/1", ports[0]),
            ("nodbsink", "EventSink", "nodb/sink/1", ports[1]),
        )
    ]
    try:
        for process, name in zip(processes, names, strict=True):
            process.start().wait_ready([name], timeout=30)
        tango.DeviceProxy(names[1]).Subscribe(names[0])
        yield names
    finally:
        for process in processes:
            process.stop()
