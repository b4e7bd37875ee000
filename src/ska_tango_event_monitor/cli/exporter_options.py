"""The command line's Prometheus exporter options (the exporter itself: `exporting`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_exporter_arguments(parser: argparse.ArgumentParser) -> None:
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


def check_exporter_options(parser: argparse.ArgumentParser, options: argparse.Namespace) -> None:
    """A usage error when the exporter is asked for without live monitoring."""
    if options.replay and (options.prometheus or options.prometheus_textfile):
        parser.error("the Prometheus exporter goes with live monitoring, not --replay")
