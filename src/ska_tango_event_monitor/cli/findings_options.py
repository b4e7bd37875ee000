"""The command line's findings options: analysis on or off, --fail-on, the thresholds."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from ska_tango_event_monitor.cli.values import count, fraction, positive_number, positive_seconds
from ska_tango_event_monitor.core.findings import Severity, Thresholds


@dataclass(frozen=True)
class ThresholdOption:
    """`--NAME-threshold`, setting one field of `Thresholds`; its default is the field's."""

    flag: str
    field: str  # of Thresholds
    value: Callable[[str], float]
    metavar: str
    help: str  # what the threshold is; the default is added

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


THRESHOLD_OPTIONS = (
    ThresholdOption(
        "--backlog-threshold",
        "backlog_events",
        count,
        "EVENTS",
        "events pushed but not received, in two polls in a row, that make a finding",
    ),
    ThresholdOption(
        "--latency-threshold",
        "latency_s",
        positive_seconds,
        "SECONDS",
        "90th percentile of the callback latency that makes a finding",
    ),
    ThresholdOption(
        "--busy-threshold",
        "busy_fraction",
        fraction,
        "FRACTION",
        "share of the time the event thread spends in callbacks that makes a finding",
    ),
    ThresholdOption(
        "--wake-threshold",
        "wake_count",
        positive_number,
        "WAKES",
        "median wakes per event that make a churn finding",
    ),
    ThresholdOption(
        "--window",
        "window_s",
        positive_seconds,
        "SECONDS",
        "seconds of polls the rules judge over, whatever the polling period "
        "(at least the last two polls)",
    ),
)


def add_analysis_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("findings")
    group.add_argument(
        "--no-analysis",
        action="store_true",
        help="print only the snapshots, as the tutorial shows them: no event rates, no findings",
    )
    group.add_argument(
        "--no-probe",
        action="store_true",
        help="do not ask a publisher whose subscribers get nothing for its ZMQ endpoints, "
        "nor try them from this host (live runs only)",
    )
    group.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        help="exit with status 7 if a finding of this severity or worse was raised",
    )
    defaults = Thresholds()
    for option in THRESHOLD_OPTIONS:
        default = getattr(defaults, option.field)
        group.add_argument(
            option.flag,
            type=option.value,
            default=default,
            metavar=option.metavar,
            help=f"{option.help} (default {default:g})",
        )


def thresholds(options: argparse.Namespace) -> Thresholds:
    return Thresholds(**{o.field: getattr(options, o.dest) for o in THRESHOLD_OPTIONS})


def fail_on(options: argparse.Namespace) -> Severity | None:
    return None if options.fail_on is None else Severity[options.fail_on.upper()]
