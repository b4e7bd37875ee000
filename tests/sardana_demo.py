"""Sardana's demo control system on loopback: a Pool, a MacroServer and its Door.

Sardana is a third-party Tango control system, installed from PyPI into its own venv by
`make sardana` (its pytest plugin and its deprecation warnings do not belong in ours). Its
servers run as processes of that venv against pytango's sqlite database, registered under
the names that `Pool demo1` and `MacroServer demo1` give themselves, and the `sar_demo`
macro creates the simulated motors, counters and controllers (`mot01`, `ct01`, ...).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tango

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
)
from ska_tango_event_monitor.local_tango.readiness import wait_answering

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = "demo1"
POOL, MACRO_SERVER, DOOR = "pool/demo1/1", "macroserver/demo1/1", "door/demo1/1"
POOL_ADMIN, MACRO_SERVER_ADMIN = "dserver/Pool/demo1", "dserver/MacroServer/demo1"
# the aliases Sardana's own registration gives them (sardana.tango.core.util.register_sardana)
ALIASES = {POOL: "Pool_demo1_1", MACRO_SERVER: "MS_demo1_1", DOOR: "Door_demo1_1"}
STARTUP_TIMEOUT = 90.0  # the MacroServer loads every macro module: ~8 s on an idle machine
_SERVER_OPTIONS = ["--log-level", "info", "--without-log-file", "True"]  # the log: stdout


def sardana_venv() -> Path:
    """Where `make sardana` installed Sardana (SARDANA_VENV, else .venv-sardana here)."""
    return Path(os.environ.get("SARDANA_VENV") or ROOT / ".venv-sardana")


def require_sardana() -> Path:
    """The venv's bin folder; a skip without it, or a failure when REQUIRE_SARDANA=1 (CI)."""
    bin_dir = sardana_venv() / "bin"
    if all((bin_dir / name).is_file() for name in ("Pool", "MacroServer", "python")):
        return bin_dir
    message = f"Sardana is not installed in {bin_dir.parent} (make sardana installs it)"
    if os.environ.get("REQUIRE_SARDANA") == "1":
        pytest.fail(f"REQUIRE_SARDANA=1 but {message}")
    pytest.skip(f"{message}; with REQUIRE_SARDANA=1 this is a failure")


def installed_versions(bin_dir: Path) -> dict[str, str]:
    """Sardana's and pytango's versions in the Sardana venv."""
    script = "import importlib.metadata as m; print(m.version('sardana'), m.version('pytango'))"
    out = subprocess.run(
        [str(bin_dir / "python"), "-c", script], capture_output=True, text=True, check=True
    ).stdout
    return dict(zip(("sardana", "pytango"), out.split(), strict=True))


class MacroError(AssertionError):
    """A macro failed or did not end in time; the message has the Door's error lines."""


@dataclass
class SardanaDemo:
    """The running demo; every name here is reached through its full TRL, so that the test
    process's default database (another test's TANGO_HOST) does not matter."""

    database: LocalTangoDatabase
    pool: DeviceServerProcess
    macro_server: DeviceServerProcess

    @property
    def tango_host(self) -> str:
        return self.database.tango_host

    def trl(self, name: str, host: str | None = None) -> str:
        """`tango://127.0.0.1:PORT/name`, or with another spelling of the host."""
        return f"tango://{host or self.database.host}:{self.database.port}/{name}"

    def device(self, alias: str) -> str:
        """The device name of an alias that the demo created (e.g. mot01)."""
        return self.database.database().get_device_from_alias(alias)

    def proxy(self, name: str) -> tango.DeviceProxy:
        return tango.DeviceProxy(self.trl(name))

    def query(self, admin: str) -> dict:
        """The admin device's QueryEventSystem reply, asked directly (not by the monitor)."""
        return json.loads(self.proxy(admin).command_inout("QueryEventSystem"))

    def run_macro(self, *words: str, timeout: float = 120.0) -> list[str]:
        """Run a macro on the Door, wait until it has ended; return its output lines.

        RunMacro empties the Door's Output and Error buffers and returns before the macro's
        thread sets RUNNING: the macro has started once the state left ON or it wrote a line
        (a macro that writes nothing and ends within one 50 ms look would not be seen).
        """
        door = self.proxy(DOOR)
        door.command_inout("RunMacro", list(words))
        deadline = time.monotonic() + timeout
        _wait(lambda: _started(door), deadline, door, words)
        _wait(lambda: door.state() != tango.DevState.RUNNING, deadline, door, words)
        errors = _lines(door, "Error")
        if door.state() != tango.DevState.ON or errors:
            ended = f"ended in {door.state()}: {' | '.join(errors)}"
            raise MacroError(f"macro {' '.join(words)} {ended}")
        return _lines(door, "Output")


def _started(door: tango.DeviceProxy) -> bool:
    if door.state() != tango.DevState.ON:
        return True
    return bool(_lines(door, "Output") or _lines(door, "Error"))


def _lines(door: tango.DeviceProxy, buffer: str) -> list[str]:
    """A Door's log buffer: Output, Error, Warning..."""
    return list(door.read_attribute(buffer).value or ())


def _wait(done, deadline: float, door: tango.DeviceProxy, words: tuple[str, ...]) -> None:
    while not done():
        if time.monotonic() > deadline:
            errors = " | ".join(_lines(door, "Error"))
            raise MacroError(
                f"macro {' '.join(words)} did not end in time ({door.state()}) {errors}"
            )
        time.sleep(0.05)


def _wait_macro_server_running(process: DeviceServerProcess, trl: str) -> None:
    """The Door answers while the MacroServer still loads its macros and has not yet
    connected to its Pool (a macro run then finds no Pool); its `Elements` attribute is
    readable only once the whole server runs."""
    macro_server = tango.DeviceProxy(trl)
    wait_answering(
        process,
        lambda _seconds_left: macro_server.read_attribute("Elements"),
        time.monotonic() + STARTUP_TIMEOUT,
        exited=lambda how: f"the MacroServer {how} at start",
        late=lambda error: f"the MacroServer did not run within {STARTUP_TIMEOUT:g} s ({error})",
    )


def _registrations(environment_db: Path) -> list[DeviceRegistration]:
    macro_server = {"PoolNames": [ALIASES[POOL]], "EnvironmentDb": str(environment_db)}
    return [
        DeviceRegistration(f"Pool/{INSTANCE}", "Pool", POOL),
        DeviceRegistration(f"MacroServer/{INSTANCE}", "MacroServer", MACRO_SERVER, macro_server),
        DeviceRegistration(f"MacroServer/{INSTANCE}", "Door", DOOR),
    ]


def _server(bin_dir: Path, executable: str, database: LocalTangoDatabase, log_dir: Path):
    command = [str(bin_dir / executable), INSTANCE, *_SERVER_OPTIONS]
    # -ORBendPoint giop:tcp:127.0.0.1:0 is added: CORBA and ZMQ endpoints on loopback
    return DeviceServerProcess(command, database.tango_host, log_dir / f"{executable}.log")


@contextlib.contextmanager
def sardana_demo(bin_dir: Path, log_dir: Path) -> Iterator[SardanaDemo]:
    """Database, Pool and MacroServer started, `sar_demo` run; every process stopped after."""
    database = LocalTangoDatabase(log_path=log_dir / "database.log").start()
    pool = _server(bin_dir, "Pool", database, log_dir)
    macro_server = _server(bin_dir, "MacroServer", database, log_dir)
    try:
        # the MacroServer keeps its environment (ActiveMntGrp, _SAR_DEMO) in this file,
        # by default one per user in /tmp that another run would share
        database.register(*_registrations(log_dir / "macroserver.properties"))
        for device, alias in ALIASES.items():
            database.database().put_device_alias(device, alias)
        pool.start().wait_ready([POOL], timeout=STARTUP_TIMEOUT)
        macro_server.start().wait_ready([MACRO_SERVER, DOOR], timeout=STARTUP_TIMEOUT)
        demo = SardanaDemo(database, pool, macro_server)
        _wait_macro_server_running(macro_server, demo.trl(MACRO_SERVER))
        demo.run_macro("sar_demo")
        yield demo
    finally:
        for process in (macro_server, pool, database):
            process.stop()
