"""The command line's options about what to poll, how often, and where the report goes."""

from __future__ import annotations

import argparse
from pathlib import Path

from ska_tango_event_monitor.cli.exporter_options import add_exporter_arguments
from ska_tango_event_monitor.cli.values import count, positive_seconds

DEFAULT_PERIOD_S = 10.0
DEFAULT_TIMEOUT_S = 3.0


def add_polling_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "devices",
        nargs="*",
        metavar="DEVICE",
        help="device names, device aliases or admin device names: foo/bar/hw, mot01, "
        "dserver/MyServer/hw, tango://host:port/foo/bar/hw, tango://host:port/mot01, "
        "tango://host:port/foo/bar/hw#dbase=no; a server reached by several names "
        "(hosts, letter case) is polled once",
    )
    parser.add_argument(
        "--polling-period",
        "--poll-period",
        type=positive_seconds,
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
        type=count,
        default=0,
        metavar="N",
        help="stop after N snapshots (default 0: run until interrupted)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help=f"per-server call timeout (default {DEFAULT_TIMEOUT_S:g}, "
        "or the polling period if shorter)",
    )


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """Which servers: found in the Tango database, or those of a recording."""
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="PATTERN",
        help="monitor the running device servers matching Executable/instance "
        "(e.g. 'MyServer/*'; 'dserver/MyServer/*' and a bare 'MyServer' alike, any letter "
        "case), picked from the Tango database and followed as they start and stop; "
        "tango://host:port/MyServer/* picks from the database at host:port; "
        "matching none at start is an error that lists the running ones; repeatable, "
        "databases mixed",
    )
    parser.add_argument(
        "--no-follow",
        action="store_true",
        help="poll only the servers named or picked: do not follow the publishers that the "
        "subscriptions' channel names point to (by default they are polled too from the "
        "second poll on, one level deep, in any Tango database)",
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


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.html",
        help="write a self-contained HTML report with plots and findings (live: at exit)",
    )
    parser.add_argument(
        "--graph",
        type=Path,
        metavar="FILE",
        help="write the event graph of the last snapshot (servers, and the streams between "
        "them coloured by their health) at exit: Graphviz DOT for FILE.dot or .gv, Mermaid "
        "for .mmd, a Markdown page with a Mermaid block for .md",
    )
    add_exporter_arguments(parser)
    parser.add_argument(
        "--top",
        action="store_true",
        help="a full-screen view refreshed after every poll, one row per stream and "
        "subscriber, the worst first (keys: q quit, s sort, / filter, p pause; with "
        "--replay: space/arrows step through the snapshots); needs a terminal",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or one JSON object per snapshot, then a summary object",
    )
