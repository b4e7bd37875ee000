"""``ska-tango-event-monitor-tutorial``: the tutorial's control system without Docker.

Runs the tutorial's Tango database and device servers as local processes on 127.0.0.1
(see :mod:`ska_tango_event_monitor.local_tango`):

- ``up`` starts them in the background and prints the ``TANGO_HOST`` to use;
  ``status``, ``scan``, ``logs`` and ``down`` act on what ``up`` recorded in a state
  directory (so they work from another shell).
- ``demo`` tells the whole story in the foreground: it starts the system, runs the event
  monitor with ``--monitor`` while ``TopDevice.Scan()`` times out waiting for a Mode.IDLE
  event that arrives late, then stops everything.

Exit status: 0 on success, 1 on an error (one line on stderr), 2 on bad usage, 130 when
interrupted. ``scan`` exits 1 when ``Scan()`` fails (the tutorial's timeout). ``demo``
exits 0 once it has shown what happened, whether the scan timed out (the tutorial's story)
or succeeded (e.g. with ``--rogue-delay 0``); it exits non-zero only on errors of its own
(a server crashed, the monitor failed, Mode.IDLE never came, interrupted).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import tango

from ska_tango_event_monitor.local_tango import (
    DeviceRegistration,
    DeviceServerProcess,
    LocalTangoDatabase,
    LocalTangoError,
    ProcessFailedError,
    ProcessRecord,
)

PROG = "ska-tango-event-monitor-tutorial"
MONITOR_SCRIPT = "ska-tango-event-monitor"
MONITOR_MODULE = "ska_tango_event_monitor.cli"
SERVER_MODULE = "ska_tango_event_monitor.tutorial.my_server"
SERVER_NAME = "MyServer"

HW_DEVICE = "foo/bar/hw"
TOP_DEVICE = "foo/bar/top"
ROGUE_DEVICE = "foo/bar/rogue"

STATE_FILE = "state.json"
DB_FILE = "tango_database.db"
STATE_VERSION = 1
PROCESS_NAMES = ("db", "hw", "top")  # start order; stopped in reverse
SCAN_CLIENT_TIMEOUT = 60.0
TIMEOUT_ERROR = "Timeout waiting for Mode.IDLE"

# Mode values of the tutorial devices (devices.Mode; not imported to keep the CLI light)
MODE_IDLE = 0
MODE_SCANNING = 1


class TutorialError(Exception):
    """A failure reported as one line on stderr (exit status 1)."""


class _Terminated(BaseException):
    """Raised by our SIGTERM/SIGHUP handler so that ``finally`` blocks stop everything."""


# --------------------------------------------------------------------------------------
# The control system
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The tutorial's numbers (defaults as in the tutorial)."""

    scan_points: int = 128
    event_rate_hz: float = 10.0
    rogue_delay: float = 0.3
    scan_timeout: float = 30.0

    def registrations(self) -> list[DeviceRegistration]:
        """The three devices with all their properties set."""
        return [
            DeviceRegistration(
                f"{SERVER_NAME}/hw",
                "HwDevice",
                HW_DEVICE,
                {"scan_points": str(self.scan_points), "event_rate_hz": repr(self.event_rate_hz)},
            ),
            DeviceRegistration(
                f"{SERVER_NAME}/top",
                "TopDevice",
                TOP_DEVICE,
                {"hw_device": HW_DEVICE, "scan_timeout": repr(self.scan_timeout)},
            ),
            DeviceRegistration(
                f"{SERVER_NAME}/top",
                "RogueDevice",
                ROGUE_DEVICE,
                {"hw_device": HW_DEVICE, "position_delay": repr(self.rogue_delay)},
            ),
        ]

    @property
    def scan_duration(self) -> float:
        """How long the hw scan takes (without overheads)."""
        return self.scan_points / self.event_rate_hz


SERVER_DEVICES = {"hw": (HW_DEVICE,), "top": (TOP_DEVICE, ROGUE_DEVICE)}
SERVER_LABELS = {"db": "Tango database", "hw": f"{SERVER_NAME}/hw", "top": f"{SERVER_NAME}/top"}


class TutorialSystem:
    """The database and the two servers of the tutorial, in ``state_dir`` (logs, db file).

    Used by both ``up`` (then :meth:`detach`) and ``demo`` (then :meth:`stop`).
    """

    def __init__(self, state_dir: Path, settings: Settings) -> None:
        self.state_dir = state_dir
        self.settings = settings
        self.db = LocalTangoDatabase(state_dir / DB_FILE, log_path=self.log_path("db"))
        self.servers: dict[str, DeviceServerProcess] = {}

    def log_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.log"

    @property
    def tango_host(self) -> str:
        return self.db.tango_host

    def start(self, say: Callable[[str], None] = lambda _line: None) -> None:
        """Start the database, register the devices, start hw, then top; wait for each.

        On any failure (or interruption) whatever was started is stopped again.
        """
        try:
            self.db.start()
            self.db.register(*self.settings.registrations())
            say(f"Tango database running on {self.tango_host} (pid {self.db.pid})")
            for name in ("hw", "top"):
                server = DeviceServerProcess(
                    [sys.executable, "-m", SERVER_MODULE, name],
                    self.tango_host,
                    self.log_path(name),
                    name=SERVER_LABELS[name],
                    cwd=self.state_dir,
                )
                self.servers[name] = server
                server.start()
                server.wait_ready(SERVER_DEVICES[name], timeout=30.0)
                devices = ", ".join(SERVER_DEVICES[name])
                say(f"{server.name} running (pid {server.pid}): {devices} answer")
        except BaseException:
            self.stop()
            raise

    def processes(self) -> dict[str, DeviceServerProcess]:
        procs = {"db": self.db.process} if self.db.process is not None else {}
        return {**procs, **self.servers}

    def dead(self) -> str | None:
        """A one-line description of the first process that exited, or None."""
        for process in self.processes().values():
            if process.pid is not None and not process.alive:
                last = process.log_tail(1).strip()
                return f"{process.name} (pid {process.pid}) {process.exit_description()}" + (
                    f" (last log line: {last})" if last else ""
                )
        return None

    def stop(self) -> None:
        """Stop top, hw and the database (whatever runs), in that order."""
        for name in ("top", "hw"):
            server = self.servers.get(name)
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()
        with contextlib.suppress(Exception):
            self.db.stop()

    def detach(self) -> dict[str, Any]:
        """Leave everything running; return the state to record.

        If a process died meanwhile, everything is stopped and the error raised.
        """
        processes: dict[str, Any] = {}
        try:
            for name, process in self.processes().items():
                processes[name] = {
                    **process.detach().to_dict(),
                    "label": SERVER_LABELS[name],
                    "log": str(self.log_path(name)),
                    "devices": list(SERVER_DEVICES.get(name, ())),
                }
        except BaseException:
            for entry in processes.values():
                with contextlib.suppress(Exception):
                    ProcessRecord.from_dict(entry).stop()
            self.stop()
            raise
        return {
            "version": STATE_VERSION,
            "tango_host": self.tango_host,
            "state_dir": str(self.state_dir),
            "settings": asdict(self.settings),
            "processes": processes,
        }


# --------------------------------------------------------------------------------------
# State directory
# --------------------------------------------------------------------------------------


def default_state_dir() -> Path:
    """``$XDG_RUNTIME_DIR`` (or ``~/.cache``) ``/ska-tango-event-monitor/tutorial``."""
    base = os.environ.get("XDG_RUNTIME_DIR") or str(Path.home() / ".cache")
    return Path(base) / "ska-tango-event-monitor" / "tutorial"


@dataclass(frozen=True)
class RecordedProcess:
    name: str
    label: str
    record: ProcessRecord
    log: Path
    devices: tuple[str, ...]


@dataclass(frozen=True)
class State:
    tango_host: str
    processes: tuple[RecordedProcess, ...]

    def running(self) -> list[RecordedProcess]:
        return [proc for proc in self.processes if proc.record.is_running()]


def load_state(state_dir: Path) -> State | None:
    """The state recorded by ``up`` in ``state_dir``, or None if there is none."""
    path = state_dir / STATE_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TutorialError(f"cannot read {path}: {exc}") from exc
    try:
        if data["version"] != STATE_VERSION:
            raise ValueError(f"unknown version {data['version']!r}")
        processes = tuple(
            RecordedProcess(
                name=name,
                label=str(entry.get("label", name)),
                record=ProcessRecord.from_dict(entry),
                log=Path(entry["log"]),
                devices=tuple(entry.get("devices", ())),
            )
            for name, entry in data["processes"].items()
        )
        return State(tango_host=str(data["tango_host"]), processes=processes)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TutorialError(f"malformed state file {path}: {exc}") from exc


def write_state(state_dir: Path, state: dict[str, Any]) -> None:
    path = state_dir / STATE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def remove_state_files(state_dir: Path, remove_dir: bool = True) -> None:
    """Remove what ``up`` leaves in ``state_dir`` (and the directory if then empty)."""
    names = [STATE_FILE, DB_FILE, *(f"{name}.log" for name in PROCESS_NAMES)]
    for name in names:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            (state_dir / name).unlink()
    if remove_dir:
        with contextlib.suppress(OSError):
            state_dir.rmdir()


def require_state(state_dir: Path) -> State:
    state = load_state(state_dir)
    if state is None:
        raise TutorialError(
            f"no tutorial system is recorded in {state_dir}: start one with `{PROG} up`"
        )
    return state


def _state_dir_args(state_dir: Path) -> str:
    if state_dir == default_state_dir():
        return ""
    return f" --state-dir {shlex.quote(str(state_dir))}"


# --------------------------------------------------------------------------------------
# Tango helpers
# --------------------------------------------------------------------------------------


def devfailed_text(exc: tango.DevFailed) -> str:
    """The first (innermost) error of a DevFailed as one line."""
    if not exc.args:
        return str(exc)
    return " ".join(str(getattr(exc.args[0], "desc", exc.args[0])).split())


def proxy(tango_host: str, device: str, timeout_s: float) -> tango.DeviceProxy:
    device_proxy = tango.DeviceProxy(f"tango://{tango_host}/{device}")
    device_proxy.set_timeout_millis(int(timeout_s * 1000))
    return device_proxy


class ScanCall(threading.Thread):
    """``TopDevice.Scan()`` with a long client timeout, in a background thread."""

    def __init__(self, tango_host: str, timeout_s: float = SCAN_CLIENT_TIMEOUT) -> None:
        super().__init__(name="TopDevice.Scan", daemon=True)
        self.tango_host = tango_host
        self.timeout_s = timeout_s
        self.started_at = time.monotonic()
        self.duration: float | None = None
        self.error: str | None = None

    def run(self) -> None:
        with tango.EnsureOmniThread():
            self.started_at = time.monotonic()
            try:
                proxy(self.tango_host, TOP_DEVICE, self.timeout_s).command_inout("Scan")
            except tango.DevFailed as exc:
                self.error = devfailed_text(exc)
            except Exception as exc:  # reported, never raised in a thread
                self.error = f"{type(exc).__name__}: {exc}"
            self.duration = time.monotonic() - self.started_at

    @property
    def timed_out_waiting_for_idle(self) -> bool:
        return self.error is not None and TIMEOUT_ERROR in self.error

    def outcome(self) -> str:
        if self.error is None:
            return f"TopDevice.Scan() succeeded in {self.duration:.2f} s"
        return f"TopDevice.Scan() failed: {self.error} (returned after {self.duration:.2f} s)"


def hw_log_scan_lines(log: Path) -> list[str]:
    """The hw server's log lines about the last scan."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    starts = [i for i, line in enumerate(lines) if "Starting scan" in line]
    if not starts:
        return []
    return [
        line.strip()
        for line in lines[starts[-1] :]
        if "Starting scan" in line or "Scan complete" in line
    ]


def scan_complete_seconds(lines: Sequence[str]) -> float | None:
    for line in lines:
        match = re.search(r"Scan complete in ([0-9.]+) s", line)
        if match:
            return float(match.group(1))
    return None


# --------------------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------------------


def settings_from(args: argparse.Namespace) -> Settings:
    return Settings(
        scan_points=args.scan_points,
        event_rate_hz=args.event_rate,
        rogue_delay=args.rogue_delay,
        scan_timeout=args.scan_timeout,
    )


def say(line: str = "") -> None:
    print(line, flush=True)


def cmd_up(args: argparse.Namespace) -> int:
    state_dir: Path = args.state_dir
    state = load_state(state_dir)
    if state is not None and state.running():
        raise TutorialError(
            f"a tutorial system is already running (TANGO_HOST={state.tango_host}, "
            f"state in {state_dir}): stop it with `{PROG} down{_state_dir_args(state_dir)}`"
        )
    # a stale state (nothing of it runs any more) or logs of a failed start: start afresh
    remove_state_files(state_dir, remove_dir=False)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TutorialError(f"cannot create the state directory {state_dir}: {exc}") from exc

    started = time.monotonic()
    system = TutorialSystem(state_dir, settings_from(args))
    system.start(say)
    recorded = system.detach()
    try:
        write_state(state_dir, recorded)
    except BaseException:
        for entry in recorded["processes"].values():
            with contextlib.suppress(Exception):
                ProcessRecord.from_dict(entry).stop()
        raise
    opts = _state_dir_args(state_dir)
    say(f"Started in {time.monotonic() - started:.1f} s; state and logs in {state_dir}")
    say()
    say("Use this Tango database in your shell:")
    say(f"  export TANGO_HOST={system.tango_host}")
    say("then, for example:")
    say(f"  ska-tango-event-monitor --monitor {HW_DEVICE} {TOP_DEVICE}   # watch the events")
    say(f"  {PROG} scan{opts}   # in another shell: TopDevice.Scan()")
    say(f"  {PROG} status{opts}")
    say(f"  {PROG} logs hw{opts}")
    say(f"  {PROG} down{opts}   # stop everything")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = require_state(args.state_dir)
    problems: list[str] = []
    say(f"TANGO_HOST={state.tango_host}")
    for proc in state.processes:
        running = proc.record.is_running()
        say(f"{proc.label:<15} pid {proc.record.pid:<8} {'running' if running else 'NOT RUNNING'}")
        if not running:
            problems.append(f"{proc.label} is not running")
        for device in proc.devices:
            if not running:
                say(f"  {device:<13} down (its server is not running)")
                continue
            try:
                micros = proxy(state.tango_host, device, 1.5).ping()
                say(f"  {device:<13} answers (ping {micros} µs)")
            except tango.DevFailed as exc:
                say(f"  {device:<13} DOES NOT ANSWER: {devfailed_text(exc)}")
                problems.append(f"{device} does not answer")
    if problems:
        raise TutorialError("; ".join(problems))
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    state = require_state(args.state_dir)
    top = next((proc for proc in state.processes if proc.name == "top"), None)
    if top is None or not top.record.is_running():
        opts = _state_dir_args(args.state_dir)
        raise TutorialError(f"{SERVER_NAME}/top is not running: see `{PROG} status{opts}`")
    say(f"Calling TopDevice.Scan() on {TOP_DEVICE} (client timeout {args.timeout:g} s) ...")
    call = ScanCall(state.tango_host, args.timeout)
    call.start()  # in a thread, so that Ctrl-C is handled at once
    while call.is_alive():
        call.join(0.2)
    if call.error is not None:
        raise TutorialError(f"TopDevice.Scan() failed after {call.duration:.2f} s: {call.error}")
    say(call.outcome())
    return 0


def cmd_logs(args: argparse.Namespace) -> int:
    state = load_state(args.state_dir)
    names = [args.which] if args.which else list(PROCESS_NAMES)
    paths: list[tuple[str, Path]] = []
    recorded_logs = {proc.name: proc.log for proc in state.processes} if state else {}
    for name in names:
        path = recorded_logs.get(name, args.state_dir / f"{name}.log")
        if path.is_file():
            paths.append((name, path))
        elif args.which:
            raise TutorialError(f"no {name} log in {args.state_dir}")
    if not paths:
        raise TutorialError(f"no logs in {args.state_dir}: start the system with `{PROG} up`")
    for index, (name, path) in enumerate(paths):
        if len(paths) > 1:
            say(("\n" if index else "") + f"==> {name}: {path} <==")
        text = path.read_text(errors="replace")
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    sys.stdout.flush()
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    state_dir: Path = args.state_dir
    state = load_state(state_dir)
    if state is None:
        say(f"Nothing to stop: no tutorial system is recorded in {state_dir}")
        return 0
    failures: list[str] = []
    for proc in reversed(state.processes):
        try:
            if proc.record.stop(timeout=5.0):
                say(f"Stopped {proc.label} (pid {proc.record.pid})")
            else:
                say(f"{proc.label} (pid {proc.record.pid}) was not running")
        except (LocalTangoError, OSError) as exc:
            failures.append(f"{proc.label} (pid {proc.record.pid}): {exc}")
    if failures:
        raise TutorialError("could not stop " + "; ".join(failures))
    remove_state_files(state_dir)
    return 0


# -- demo --------------------------------------------------------------------------------


def monitor_command() -> list[str]:
    """The event monitor's console script next to this Python (or ``python -m``)."""
    if importlib.util.find_spec(MONITOR_MODULE) is None:
        raise TutorialError(
            f"the event monitor is not installed (no module {MONITOR_MODULE}): "
            "install ska-tango-event-monitor in this environment"
        )
    script = Path(sys.executable).parent / MONITOR_SCRIPT
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", MONITOR_MODULE]


def _wait_perf_monitoring(
    tango_host: str, monitor: subprocess.Popen[bytes], deadline: float
) -> bool:
    """Wait until both servers collect performance samples (the monitor switched them on).

    Querying takes samples away from the monitor, but before the scan there are none.
    """
    pending = {f"dserver/{SERVER_NAME}/hw", f"dserver/{SERVER_NAME}/top"}
    while pending and time.monotonic() < deadline:
        if monitor.poll() is not None:
            raise TutorialError(f"the event monitor exited at start (status {monitor.returncode})")
        for admin in sorted(pending):
            try:
                report = json.loads(
                    proxy(tango_host, admin, 1.0).command_inout("QueryEventSystem")
                )
            except (tango.DevFailed, ValueError):
                continue
            sides = [report.get("server"), report.get("client")]
            if any(isinstance(side, dict) and side.get("perf") is not None for side in sides):
                pending.discard(admin)
        if pending:
            time.sleep(0.2)
    return not pending


def _stop_monitor(monitor: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGINT (its clean exit), then SIGTERM, then SIGKILL; return its exit status."""
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, None)):
        if monitor.poll() is not None:
            break
        with contextlib.suppress(ProcessLookupError):
            monitor.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            monitor.wait(wait)
    return monitor.wait()


def cmd_demo(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    period: float = args.polling_period
    monitor_cmd = monitor_command()
    with tempfile.TemporaryDirectory(prefix="ska-tango-event-monitor-demo-") as tmp:
        system = TutorialSystem(Path(tmp), settings)
        monitor: subprocess.Popen[bytes] | None = None
        try:
            say(
                f"The tutorial's control system: {HW_DEVICE} (HwDevice, server "
                f"{SERVER_NAME}/hw) pushes {settings.scan_points} position events at "
                f"{settings.event_rate_hz:g} Hz during a scan;"
            )
            say(
                f"{TOP_DEVICE} (TopDevice) waits up to {settings.scan_timeout:g} s for "
                f"Mode.IDLE; {ROGUE_DEVICE} (RogueDevice, same server {SERVER_NAME}/top) "
                f"takes {settings.rogue_delay:g} s per position event."
            )
            system.start(say)
            argv = [*monitor_cmd, "--monitor", "--polling-period", f"{period:g}"]
            argv += [HW_DEVICE, TOP_DEVICE]
            say(
                f"Running: TANGO_HOST={system.tango_host} ska-tango-event-monitor --monitor "
                f"--polling-period {period:g} {HW_DEVICE} {TOP_DEVICE}"
            )
            monitor = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "TANGO_HOST": system.tango_host},
                start_new_session=True,  # we send it SIGINT ourselves, after the story
            )
            if not _wait_perf_monitoring(system.tango_host, monitor, time.monotonic() + 15):
                say("(the monitor has not switched performance monitoring on yet; going on)")
            time.sleep(min(1.0, period))  # let its first snapshot out
            say(
                f"Calling TopDevice.Scan() (client timeout {SCAN_CLIENT_TIMEOUT:g} s) in the "
                f"background; a snapshot every {period:g} s follows."
            )
            call = ScanCall(system.tango_host)
            call.start()
            idle_at = _follow_scan(system, monitor, call, settings)
            _sleep_watching(system, monitor, period + 0.5)
            status = _stop_monitor(monitor)
            if status not in (0, 130, -signal.SIGINT):
                raise TutorialError(f"the event monitor exited with status {status}")
            hw_lines = hw_log_scan_lines(system.log_path("hw"))
            _conclude(call, idle_at, hw_lines, settings)
            return 0
        finally:
            if monitor is not None and monitor.poll() is None:
                _stop_monitor(monitor)
            system.stop()


def _check_alive(system: TutorialSystem, monitor: subprocess.Popen[bytes]) -> None:
    dead = system.dead()
    if dead:
        raise TutorialError(dead)
    if monitor.poll() is not None:
        raise TutorialError(f"the event monitor exited early (status {monitor.returncode})")


def _sleep_watching(
    system: TutorialSystem, monitor: subprocess.Popen[bytes], seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        _check_alive(system, monitor)
        time.sleep(min(0.2, remaining))


def _follow_scan(
    system: TutorialSystem,
    monitor: subprocess.Popen[bytes],
    call: ScanCall,
    settings: Settings,
) -> float | None:
    """Wait for the scan call; on the timeout, wait for the late Mode.IDLE in the top server.

    Returns when foo/bar/rogue (beside foo/bar/top) processed Mode.IDLE, in seconds since
    the scan call started (None if the scan succeeded before we saw it).
    """
    rogue = proxy(system.tango_host, ROGUE_DEVICE, 1.0)
    backlog = settings.scan_points * max(settings.rogue_delay, 1 / settings.event_rate_hz)
    deadline = call.started_at + max(SCAN_CLIENT_TIMEOUT, backlog) + 30.0
    saw_scanning = False
    while True:
        _check_alive(system, monitor)
        try:
            mode = int(rogue.read_attribute("mode").value)
        except (tango.DevFailed, TypeError, ValueError):
            mode = None
        now = time.monotonic()
        if mode == MODE_SCANNING:
            saw_scanning = True
        elif mode == MODE_IDLE and saw_scanning and not call.is_alive():
            return now - call.started_at
        if not call.is_alive():
            if call.error is None:
                return None
            if not call.timed_out_waiting_for_idle:
                raise TutorialError(call.outcome())
        if now > deadline:
            raise TutorialError(
                f"{ROGUE_DEVICE} did not see Mode.IDLE within {now - call.started_at:.0f} s "
                "of the scan's start"
            )
        time.sleep(0.2)


def _conclude(
    call: ScanCall, idle_at: float | None, hw_lines: list[str], settings: Settings
) -> None:
    say()
    say("=" * 30 + " What happened " + "=" * 30)
    say(call.outcome())
    say(f"The hw server's log ({SERVER_NAME}/hw):")
    for line in hw_lines or ["(no scan lines in the log)"]:
        say(f"  {line}")
    pushed = scan_complete_seconds(hw_lines)
    pushed_text = f"after {pushed:.2f} s" if pushed is not None else ""
    if call.error is None:
        say(
            f"Conclusion: with RogueDevice taking {settings.rogue_delay:g} s per position "
            f"event, the top server keeps up: Mode.IDLE was pushed {pushed_text} and arrived "
            "in time."
        )
        say("Run the demo with the default --rogue-delay 0.3 to see the event arrive late.")
        return
    if idle_at is not None:
        say(
            f"{ROGUE_DEVICE}, beside {TOP_DEVICE} in {SERVER_NAME}/top, processed Mode.IDLE "
            f"{idle_at:.1f} s after the scan started."
        )
        late = f"only after {idle_at:.1f} s"
    else:
        late = "too late"
    say(
        f"Conclusion: Mode.IDLE was not missing but late: {HW_DEVICE} pushed it {pushed_text}, "
        f"well inside the {settings.scan_timeout:g} s timeout, but the top server took it {late}."
    )
    say(
        f"RogueDevice's slow position callback ({settings.rogue_delay:g} s per event) holds the "
        "event thread it shares with TopDevice: see Latency and position Processing Time above."
    )


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and no exit from ``main``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(kind: type, minimum: float, inclusive: bool) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value != value or value < minimum or (value == minimum and not inclusive):
            bound = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(f"must be {bound} {minimum:g}: {text!r}")
        if value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be finite: {text!r}")
        return value

    return parse


positive_int = _number(int, 0, inclusive=False)
positive_float = _number(float, 0.0, inclusive=False)
non_negative_float = _number(float, 0.0, inclusive=True)


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = _Parser(
        prog=PROG,
        description=(
            "Run the tutorial's Tango control system (a database and the MyServer hw/top "
            "servers) as local processes on 127.0.0.1, without Docker."
        ),
    )
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    state = _Parser(add_help=False)
    state.add_argument(
        "--state-dir",
        type=Path,
        default=default_state_dir(),
        help="where up records the running system, its database and logs (default: %(default)s)",
    )

    system = _Parser(add_help=False)
    system.add_argument(
        "--scan-points",
        type=positive_int,
        default=defaults.scan_points,
        help="position events per scan (default: %(default)s)",
    )
    system.add_argument(
        "--event-rate",
        type=positive_float,
        default=defaults.event_rate_hz,
        metavar="HZ",
        help="position events per second (default: %(default)s)",
    )
    system.add_argument(
        "--rogue-delay",
        type=non_negative_float,
        default=defaults.rogue_delay,
        metavar="S",
        help="seconds RogueDevice's callback takes per position event (default: %(default)s)",
    )
    system.add_argument(
        "--scan-timeout",
        type=positive_float,
        default=defaults.scan_timeout,
        metavar="S",
        help="seconds TopDevice waits for Mode.IDLE (default: %(default)s)",
    )

    up = sub.add_parser(
        "up",
        parents=[system, state],
        help="start the system in the background and print its TANGO_HOST",
    )
    up.set_defaults(func=cmd_up)
    sub.add_parser(
        "status", parents=[state], help="is every process running, does every device answer"
    ).set_defaults(func=cmd_status)
    scan = sub.add_parser(
        "scan", parents=[state], help="call TopDevice.Scan() and print the outcome"
    )
    scan.add_argument(
        "--timeout",
        type=positive_float,
        default=SCAN_CLIENT_TIMEOUT,
        metavar="S",
        help="client timeout of the call (default: %(default)s)",
    )
    scan.set_defaults(func=cmd_scan)
    logs = sub.add_parser("logs", parents=[state], help="print the server logs")
    logs.add_argument("which", nargs="?", choices=PROCESS_NAMES, help="one log only")
    logs.set_defaults(func=cmd_logs)
    sub.add_parser(
        "down", parents=[state], help="stop every recorded process and remove the state"
    ).set_defaults(func=cmd_down)
    demo = sub.add_parser(
        "demo",
        parents=[system],
        help="the tutorial's story in the foreground: start, monitor a scan, stop",
        description=(
            "Start the system in a temporary directory, run the event monitor with --monitor "
            "while TopDevice.Scan() runs, show the outcome and stop everything. Exits 0 once "
            "the story was shown (timeout or, e.g. with --rogue-delay 0, success)."
        ),
    )
    demo.add_argument(
        "--polling-period",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="the monitor's polling period (default: %(default)s)",
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise _Terminated(signum)


@contextlib.contextmanager
def _terminate_as_exception() -> Iterator[None]:
    """SIGTERM/SIGHUP raise _Terminated (so cleanup runs), in the main thread only.

    SIGINT raises KeyboardInterrupt even if it was ignored when we started (a background
    job of a script): the monitor we start must not inherit an ignored SIGINT.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in signals}
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, None):
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _error(message: str) -> None:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ska-tango-event-monitor-tutorial``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        with _terminate_as_exception():
            return int(args.func(args))
    except TutorialError as exc:
        _error(str(exc))
    except ProcessFailedError as exc:
        _error(exc.summary)
    except LocalTangoError as exc:
        _error(str(exc))
    except tango.DevFailed as exc:
        _error(devfailed_text(exc))
    except OSError as exc:
        _error(str(exc))
    except (KeyboardInterrupt, _Terminated):
        started = args.command in ("up", "demo")
        _error("interrupted" + ("; everything it had started was stopped" if started else ""))
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
