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
from ska_tango_event_monitor.findings import Analyser, Severity, Thresholds
from ska_tango_event_monitor.output import ReportWriter, check_writable
from ska_tango_event_monitor.session import MonitorSession

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

Findings (backlog, saturated event thread, latency, missed events, churn, restarts, ...) are
printed under each snapshot and summarised at exit; --replay FILE reads a recording instead.

exit codes: 0 done or interrupted, 1 unexpected failure, 2 bad command line, 3 no TANGO_HOST
or database unreachable, 4 unknown device, 5 server without QueryEventSystem (Tango < 10.1),
6 recording not writable or not readable, 7 --fail-on: such a finding was raised.
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
        nargs="*",
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
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="PATTERN",
        help="monitor the running device servers matching Executable/instance "
        "(e.g. 'MyServer/*'),"
        " picked from the Tango database and followed as they start and stop; repeatable",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="monitor every running device server (like --server '*')",
    )
    parser.add_argument(
        "--list", action="store_true", help="print the servers that would be monitored and exit"
    )
    parser.add_argument(
        "--replay",
        type=Path,
        metavar="FILE",
        help="print the report of a recording (plain or compressed) instead of polling",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.html",
        help="write a self-contained HTML report with plots and findings (live: at exit)",
    )
    parser.add_argument(
        "--prometheus",
        metavar="[HOST:]PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics while monitoring "
        "(default host 127.0.0.1; needs the [prometheus] extra)",
    )
    parser.add_argument(
        "--prometheus-textfile",
        type=Path,
        metavar="FILE",
        help="write the metrics to FILE after every poll (node exporter textfile collector)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or one JSON object per snapshot, then a summary object",
    )
    _add_analysis_arguments(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Thresholds()
    group = parser.add_argument_group("findings")
    group.add_argument(
        "--no-analysis",
        action="store_true",
        help="print only the snapshots, as the tutorial shows them: no event rates, no findings",
    )
    group.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        help="exit with status 7 if a finding of this severity or worse was raised",
    )
    group.add_argument(
        "--backlog-threshold",
        type=_count,
        default=defaults.backlog_events,
        metavar="EVENTS",
        help="events pushed but not received, in two polls in a row, that make a finding "
        f"(default {defaults.backlog_events})",
    )
    group.add_argument(
        "--latency-threshold",
        type=_positive_seconds,
        default=defaults.latency_s,
        metavar="SECONDS",
        help="90th percentile of the callback latency that makes a finding "
        f"(default {defaults.latency_s:g})",
    )
    group.add_argument(
        "--busy-threshold",
        type=_fraction,
        default=defaults.busy_fraction,
        metavar="FRACTION",
        help="share of the time the event thread spends in callbacks that makes a finding "
        f"(default {defaults.busy_fraction:g})",
    )
    group.add_argument(
        "--wake-threshold",
        type=_positive_seconds,
        default=defaults.wake_count,
        metavar="WAKES",
        help=f"mean wakes per event that make a churn finding (default {defaults.wake_count:g})",
    )


def _fraction(text: str) -> float:
    value = _positive_seconds(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a fraction between 0 and 1")
    return value


def thresholds(options: argparse.Namespace) -> Thresholds:
    return Thresholds(
        backlog_events=options.backlog_threshold,
        busy_fraction=options.busy_threshold,
        latency_s=options.latency_threshold,
        wake_count=options.wake_threshold,
    )


def fail_on(options: argparse.Namespace) -> Severity | None:
    return None if options.fail_on is None else Severity[options.fail_on.upper()]


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
    sources = [bool(options.devices), bool(options.server or options.all), bool(options.replay)]
    if sum(sources) > 1:
        parser.error("give one of DEVICE..., --server/--all, or --replay FILE")
    if not any(sources):
        parser.error("the following arguments are required: DEVICE (or --server, --all, --replay)")
    if options.replay and (options.prometheus or options.prometheus_textfile):
        parser.error("the Prometheus exporter goes with live monitoring, not --replay")
    if options.list and options.replay:
        parser.error("--list goes with DEVICE... or --server/--all, not --replay")
    return options


def _run(options: argparse.Namespace, env: Environment) -> int:
    if options.replay is not None:
        from ska_tango_event_monitor.replay import replay

        return replay(options, env)
    # Imported here so that --help, usage errors and replay need no Tango.
    from ska_tango_event_monitor.run import run

    return run(options, env)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    try:
        options = parse_args(argv, env)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return _run(options, env)
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


def session_for(options: argparse.Namespace) -> MonitorSession:
    return MonitorSession(None if options.no_analysis else Analyser(thresholds(options)))


def writer_for(options: argparse.Namespace, env: Environment) -> ReportWriter:
    """Raises ReportFileError when --report cannot be written."""
    if options.report is not None:
        check_writable(options.report)
    source = options.replay.name if options.replay else " ".join(options.devices or options.server)
    return ReportWriter(
        env.stdout,
        options.format,
        analysis=not options.no_analysis,
        html_path=options.report,
        title=source or "all servers",
    )


def final_status(writer: ReportWriter, options: argparse.Namespace) -> ExitStatus:
    writer.finish()
    return ExitStatus.FINDINGS if writer.failed(fail_on(options)) else ExitStatus.OK


def fail(env: Environment, message: str, status: ExitStatus) -> int:
    env.stderr.write(f"{PROG}: error: {message}\n")
    return status
