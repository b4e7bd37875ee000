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

This module is the thin command line: it parses the arguments, runs one command of
:mod:`ska_tango_event_monitor.tutorial.commands` and turns errors into exit statuses.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

import tango

from ska_tango_event_monitor.local_tango import LocalTangoError, ProcessFailedError
from ska_tango_event_monitor.tango.errors import describe_failure
from ska_tango_event_monitor.tutorial.arguments import build_parser, settings_from
from ska_tango_event_monitor.tutorial.commands.demo import demo
from ska_tango_event_monitor.tutorial.commands.down import down
from ska_tango_event_monitor.tutorial.commands.logs import logs
from ska_tango_event_monitor.tutorial.commands.scan import scan
from ska_tango_event_monitor.tutorial.commands.status import status
from ska_tango_event_monitor.tutorial.commands.up import up
from ska_tango_event_monitor.tutorial.console import say_error
from ska_tango_event_monitor.tutorial.errors import TutorialError
from ska_tango_event_monitor.tutorial.monitor_process import monitor_command
from ska_tango_event_monitor.tutorial.termination import Terminated, terminate_as_exception

# monitor_command is looked up here at call time: tests substitute a stand-in monitor
_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "up": lambda args: up(args.state_dir, settings_from(args)),
    "status": lambda args: status(args.state_dir),
    "scan": lambda args: scan(args.state_dir, args.timeout),
    "logs": lambda args: logs(args.state_dir, args.which),
    "down": lambda args: down(args.state_dir),
    "demo": lambda args: demo(settings_from(args), args.polling_period, monitor_command()),
}
_STARTING_COMMANDS = ("up", "demo")  # they stop what they started when interrupted


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ska-tango-event-monitor-tutorial``; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    try:
        with terminate_as_exception():
            return int(_COMMANDS[args.command](args))
    except BrokenPipeError:  # the reader went away (`status | head -1`): stop quietly
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (TutorialError, LocalTangoError, tango.DevFailed, OSError) as exc:
        say_error(_one_line(exc))
    except (KeyboardInterrupt, Terminated):
        started = args.command in _STARTING_COMMANDS
        say_error("interrupted" + ("; everything it had started was stopped" if started else ""))
        return 130
    return 1


def _one_line(exc: Exception) -> str:
    if isinstance(exc, ProcessFailedError):
        return exc.summary  # without the log tail
    if isinstance(exc, tango.DevFailed):
        return describe_failure(exc, with_reason=False)
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
