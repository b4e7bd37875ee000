"""`ska-tango-event-monitor`: a thin command line over the monitor, session and report."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NoReturn, TextIO

from ska_tango_event_monitor import __version__
from ska_tango_event_monitor.exit_status import ExitStatus

PROG = "ska-tango-event-monitor"
DEFAULT_PERIOD_S = 10.0
DEFAULT_TIMEOUT_S = 3.0

EPILOG = f"""\
example:
  export TANGO_HOST=localhost:10000
  {PROG} --monitor --polling-period 5 -o events.jsonl.gz foo/bar/hw foo/bar/top

Each device is resolved to its device server's admin device (dserver/...); every period all
servers are asked QueryEventSystem() at once and what changed since the last snapshot is
printed. Stop with Ctrl-C: performance monitoring switched on by --monitor is switched off.

exit codes: 0 done or interrupted, 1 unexpected failure, 2 bad command line, 3 no TANGO_HOST
or database unreachable, 4 unknown device, 5 server without QueryEventSystem (Tango < 10.1),
6 recording file not writable.
"""


@dataclass
class Environment:
    """What the command talks to, injectable for tests."""

    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    now: Callable[[], datetime] = datetime.now


class _Parser(argparse.ArgumentParser):
    """One-line usage errors, written to the environment's streams."""

    def __init__(self, env: Environment, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.env = env

    def error(self, message: str) -> NoReturn:
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {message} (see --help)\n")

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        if message:
            (self.env.stderr if file is sys.stderr else self.env.stdout).write(message)


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds above 0")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def build_parser(env: Environment | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        env or Environment(),
        prog=PROG,
        description="Show what the Tango event system of device servers is doing: "
        "publishers, subscriptions, counters and (with --monitor) performance statistics.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "devices",
        nargs="+",
        metavar="DEVICE",
        help="device or admin device names: foo/bar/hw, dserver/MyServer/hw, "
        "tango://host:port/foo/bar/hw, tango://host:port/foo/bar/hw#dbase=no",
    )
    parser.add_argument(
        "--polling-period",
        "--poll-period",
        type=_positive_seconds,
        default=DEFAULT_PERIOD_S,
        metavar="SECONDS",
        help=f"time between snapshots (default {DEFAULT_PERIOD_S:g})",
    )
    parser.add_argument(
        "-m",
        "--monitor",
        "--monitor-perf",
        action="store_true",
        help="switch on EnableEventSystemPerfMon and print performance tables",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="record every poll as a JSON line (.gz, .bz2, .xz compress)",
    )
    parser.add_argument(
        "-a", "--append", action="store_true", help="append to --output instead of truncating"
    )
    parser.add_argument(
        "--count",
        type=_count,
        default=0,
        metavar="N",
        help="stop after N snapshots (default 0: run until interrupted)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_seconds,
        metavar="SECONDS",
        help=f"per-server call timeout (default {DEFAULT_TIMEOUT_S:g}, "
        "or the polling period if shorter)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def parse_args(argv: Sequence[str] | None, env: Environment | None = None) -> argparse.Namespace:
    parser = build_parser(env)
    options = parser.parse_args(argv)
    if options.timeout is None:
        options.timeout = min(DEFAULT_TIMEOUT_S, options.polling_period)
    elif options.timeout > options.polling_period:
        parser.error(
            f"--timeout {options.timeout:g} is longer than --polling-period "
            f"{options.polling_period:g}"
        )
    if options.append and options.output is None:
        parser.error("--append needs --output FILE")
    return options


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    try:
        options = parse_args(argv, env)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    # Imported here so that --help and usage errors stay fast and need no Tango.
    from ska_tango_event_monitor.run import run

    try:
        return run(options, env)
    except KeyboardInterrupt:  # Ctrl-C before monitoring started (e.g. while resolving)
        return ExitStatus.OK
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitStatus.OK
    except Exception as error:  # a bug of ours: one line, not a traceback
        env.stderr.write(f"{PROG}: error: unexpected {type(error).__name__}: {error}\n")
        return ExitStatus.ERROR
