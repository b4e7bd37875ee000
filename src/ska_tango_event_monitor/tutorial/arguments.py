"""The command line of ``ska-tango-event-monitor-tutorial``: its parser and options."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

from ska_tango_event_monitor.tutorial.console import PROG
from ska_tango_event_monitor.tutorial.control_system import PROCESS_NAMES, Settings
from ska_tango_event_monitor.tutorial.scan_call import SCAN_CLIENT_TIMEOUT
from ska_tango_event_monitor.tutorial.state_dir import default_state_dir

DEMO_POLLING_PERIOD = 10.0


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

# the options of the control system: flag, Settings field, parser, metavar, help
_SYSTEM_OPTIONS: tuple[tuple[str, str, Callable[[str], Any], str | None, str], ...] = (
    ("--scan-points", "scan_points", positive_int, None, "position events per scan"),
    ("--event-rate", "event_rate_hz", positive_float, "HZ", "position events per second"),
    (
        "--rogue-delay",
        "rogue_delay",
        non_negative_float,
        "S",
        "seconds RogueDevice's callback takes per position event",
    ),
    (
        "--scan-timeout",
        "scan_timeout",
        positive_float,
        "S",
        "seconds TopDevice waits for Mode.IDLE",
    ),
)


def settings_from(args: argparse.Namespace) -> Settings:
    """The Settings given by the system options."""
    return Settings(**{field.name: getattr(args, field.name) for field in fields(Settings)})


def build_parser() -> argparse.ArgumentParser:
    """The parser; ``args.command`` names the subcommand."""
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
    _add_commands(sub, state=_state_options(), system=_system_options())
    return parser


def _state_options() -> argparse.ArgumentParser:
    state = _Parser(add_help=False)
    state.add_argument(
        "--state-dir",
        type=Path,
        default=default_state_dir(),
        help="where up records the running system, its database and logs (default: %(default)s)",
    )
    return state


def _system_options() -> argparse.ArgumentParser:
    defaults = Settings()
    system = _Parser(add_help=False)
    for flag, field, parse, metavar, text in _SYSTEM_OPTIONS:
        system.add_argument(
            flag,
            dest=field,
            type=parse,
            default=getattr(defaults, field),
            metavar=metavar,
            help=f"{text} (default: %(default)s)",
        )
    system.add_argument(
        "--fixed-rogue",
        action="store_true",
        help="run FixedRogueDevice, whose callback hands its slow work to a worker thread",
    )
    return system


def _add_commands(
    sub: Any, state: argparse.ArgumentParser, system: argparse.ArgumentParser
) -> None:
    sub.add_parser(
        "up",
        parents=[system, state],
        help="start the system in the background and print its TANGO_HOST",
    )
    sub.add_parser(
        "status", parents=[state], help="is every process running, does every device answer"
    )
    scan = sub.add_parser(
        "scan", parents=[state], help="call TopDevice.Scan() and print the outcome"
    )
    _add_seconds(scan, "--timeout", SCAN_CLIENT_TIMEOUT, "client timeout of the call")
    logs = sub.add_parser("logs", parents=[state], help="print the server logs")
    logs.add_argument("which", nargs="?", choices=PROCESS_NAMES, help="one log only")
    sub.add_parser(
        "down", parents=[state], help="stop every recorded process and remove the state"
    )
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
    _add_seconds(demo, "--polling-period", DEMO_POLLING_PERIOD, "the monitor's polling period")


def _add_seconds(parser: argparse.ArgumentParser, flag: str, default: float, text: str) -> None:
    parser.add_argument(
        flag,
        type=positive_float,
        default=default,
        metavar="S",
        help=f"{text} (default: %(default)s)",
    )
