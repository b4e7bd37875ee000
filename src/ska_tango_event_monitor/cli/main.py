"""`ska-tango-event-monitor`: a thin command line over the monitor, session and report."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from ska_tango_event_monitor import __version__
from ska_tango_event_monitor.cli.common import (
    PROG,
    Environment,
    collect_garbage_less_often,
    fail,
)
from ska_tango_event_monitor.cli.exit_status import ExitStatus
from ska_tango_event_monitor.cli.exporter_options import check_exporter_options
from ska_tango_event_monitor.cli.findings_options import (
    add_analysis_arguments,
)
from ska_tango_event_monitor.cli.options import (
    DEFAULT_PERIOD_S,
    DEFAULT_TIMEOUT_S,
    add_output_arguments,
    add_polling_arguments,
    add_server_arguments,
)
from ska_tango_event_monitor.outputs.graph.formats import graph_format

__all__ = [
    "DEFAULT_PERIOD_S",
    "DEFAULT_TIMEOUT_S",
    "EPILOG",
    "PROG",
    "Environment",
    "build_parser",
    "main",
    "parse_args",
]


EPILOG = f"""\
example:
  export TANGO_HOST=localhost:10000
  {PROG} --monitor --polling-period 5 -o events.jsonl.gz foo/bar/hw foo/bar/top

Each device is resolved to its device server's admin device (dserver/...); every period all
servers are asked QueryEventSystem() at once and what changed since the last snapshot is
printed. Stop with Ctrl-C: performance monitoring switched on by --monitor is switched off.

Findings (backlog, saturated event thread, latency, missed events, churn, restarts, ...) are
printed under each snapshot and summarised at exit; --replay FILE reads a recording instead.

With --server/--all, servers that stop are dropped, and when none is left the monitor says
so once and waits (printing nothing) for one to start. Every output file (-o, --report,
--graph, --prometheus-textfile) is checked before the first poll.

exit codes: 0 done or interrupted, 1 unexpected failure, 2 bad command line, 3 no TANGO_HOST
or database unreachable, 4 unknown device or alias, or --server/--all matching no running
server, 5 server without QueryEventSystem (Tango < 10.1), 6 recording, --report, --graph or
--prometheus-textfile not writable (or recording not readable), 7 --fail-on: such a finding
was raised, 8 --prometheus: no prometheus_client, bad address or port in use.
"""


class _Parser(argparse.ArgumentParser):
    """One-line usage errors, written to the environment's streams."""

    def __init__(self, env: Environment, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.env = env

    def error(self, message: str) -> NoReturn:
        self.exit(ExitStatus.USAGE, f"{self.prog}: error: {message} (see --help)\n")

    def _print_message(self, message: str, file: object = None) -> None:
        # argparse's stream (sys.stderr or sys.stdout) only tells which of ours to write to
        if message:
            (self.env.stderr if file is sys.stderr else self.env.stdout).write(message)


def build_parser(env: Environment | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        env or Environment(),
        prog=PROG,
        description="Show what the Tango event system of device servers is doing: "
        "publishers, subscriptions, counters and (with --monitor) performance statistics.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_polling_arguments(parser)
    add_server_arguments(parser)
    add_output_arguments(parser)
    add_analysis_arguments(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def parse_args(argv: Sequence[str] | None, env: Environment | None = None) -> argparse.Namespace:
    parser = build_parser(env)
    options = parser.parse_args(argv)
    _settle_timeout(parser, options)
    if options.append and options.output is None:
        parser.error("--append needs --output FILE")
    _check_sources(parser, options)
    check_exporter_options(parser, options)
    if options.list and options.replay:
        parser.error("--list goes with DEVICE... or --server/--all, not --replay")
    if options.fail_on and options.no_analysis:
        parser.error("--fail-on needs the findings: drop --no-analysis")
    if options.graph is not None:
        try:
            graph_format(options.graph)
        except ValueError as error:
            parser.error(str(error))
    if options.top and (options.list or options.format == "json"):
        parser.error("--top shows the snapshots itself: not with --list or --format json")
    return options


def _settle_timeout(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    """The default timeout never exceeds the polling period; a given one may not either."""
    if options.timeout is None:
        options.timeout = min(DEFAULT_TIMEOUT_S, options.polling_period)
    elif options.timeout > options.polling_period:
        parser.error(
            f"--timeout {options.timeout:g} is longer than --polling-period "
            f"{options.polling_period:g}"
        )


def _check_sources(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    """Exactly one of: devices, servers from the database, a recording."""
    sources = [bool(options.devices), bool(options.server or options.all), bool(options.replay)]
    if sum(sources) > 1:
        parser.error("give one of DEVICE..., --server/--all, or --replay FILE")
    if not any(sources):
        parser.error("the following arguments are required: DEVICE (or --server, --all, --replay)")


def _run(options: argparse.Namespace, env: Environment) -> int:
    if options.top and not env.stdout.isatty():  # drawing on a file or a pipe: refused
        return fail(
            env,
            "--top needs a terminal and standard output is not one: leave out --top for "
            "the text report (or use --format json)",
            ExitStatus.USAGE,
        )
    if options.replay is not None:
        from ska_tango_event_monitor.cli.replay import replay

        return replay(options, env)
    # Imported here so that --help, usage errors and replay need no Tango.
    from ska_tango_event_monitor.cli.live import run

    return run(options, env)


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    collect_garbage_less_often()
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
