"""`python -m benchmarks.run [--quick] [--only NAME...]`: every benchmark, figures and targets.

`make bench` runs them at full size (about 15 minutes on 2 cores, and the soak's 30;
`BENCH_ARGS` passes options, e.g. `--only soak --soak-minutes 10`). `--quick` runs each at a
tiny size to show that it works: its figures mean little.
Every process started is stopped before the end; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import tango

from benchmarks import cpu_per_poll, fanout, floor, overhead, replay_long, soak
from benchmarks.results import Report
from benchmarks.synthetic import System
from ska_tango_event_monitor.cli.common import collect_garbage_less_often

BENCHMARKS = ("fanout", "overhead", "cpu", "replay", "floor", "soak")


@dataclass(frozen=True)
class Settings:
    fanout: fanout.FanoutSettings = field(default_factory=fanout.FanoutSettings)
    overhead: overhead.OverheadSettings = field(default_factory=overhead.OverheadSettings)
    cpu: cpu_per_poll.CpuSettings = field(default_factory=cpu_per_poll.CpuSettings)
    replay: replay_long.ReplaySettings = field(default_factory=replay_long.ReplaySettings)
    floor: floor.FloorSettings = field(default_factory=floor.FloorSettings)
    soak: soak.SoakSettings = field(default_factory=soak.SoakSettings)


QUICK = Settings(
    fanout=fanout.FanoutSettings(
        sizes=(1, 2), rounds=20, warmup=2, hung_rounds=2, hung_timeout_s=0.3, target_sizes=(2,)
    ),
    overhead=overhead.OverheadSettings(pairs=1, burst=500, paced=100, rate_hz=500.0),
    cpu=cpu_per_poll.CpuSettings(servers=4, streams=3, polls=4),
    replay=replay_long.ReplaySettings(
        polls=(50, 200),
        system=System(servers=2, streams=2, events_per_poll=5, slow=0, late=1),
        profile_polls=50,
    ),
    floor=floor.FloorSettings(sizes=((4, 4), (8, 3)), streams=3, memory_polls=3),
    soak=soak.SoakSettings(
        servers=4,
        duration_s=40.0,
        restart_every_s=12.0,
        freeze_every_s=20.0,
        freeze_for_s=2.0,
        window_s=10.0,
        sample_every_s=1.0,
    ),
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: proves it works")
    parser.add_argument(
        "--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS, help="run only these"
    )
    parser.add_argument(
        "--sizes", type=_sizes, help="fan-out sizes N, comma-separated (default 1,10,50,100)"
    )
    parser.add_argument(
        "--soak-minutes", type=_minutes, help="how long the soak runs (default 30)"
    )
    return parser.parse_args(argv)


def _minutes(text: str) -> float:
    try:
        minutes = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not 1 <= minutes <= 24 * 60:
        raise argparse.ArgumentTypeError(f"{text!r}: from 1 to 1440 minutes")
    return minutes


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(sorted({int(part) for part in text.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of numbers") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be 1 or more")
    return sizes


def settings_for(options: argparse.Namespace) -> Settings:
    settings = QUICK if options.quick else Settings()
    if options.sizes:
        targets = tuple(n for n in (50, 100) if n in options.sizes) or (max(options.sizes),)
        sizes = replace(settings.fanout, sizes=options.sizes, target_sizes=targets)
        settings = replace(settings, fanout=sizes)
    if options.soak_minutes:
        seconds = options.soak_minutes * 60
        window = min(settings.soak.window_s, seconds / 4)
        settings = replace(
            settings, soak=replace(settings.soak, duration_s=seconds, window_s=window)
        )
    return settings


def machine_lines() -> list[str]:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"date {datetime.now().isoformat(timespec='seconds')}, host {platform.node()}",
        f"{os.cpu_count()} cores, load average (1, 5, 15 min) {load}",
        f"Python {platform.python_version()}, pytango {tango.__version__}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    collect_garbage_less_often()  # as the monitor's command does: this stands for its process
    settings = settings_for(options)
    report = Report()
    started = time.monotonic()
    report.say("ska-tango-event-monitor benchmarks" + (" (--quick)" if options.quick else ""))
    report.say(f"  command: python -m benchmarks.run {' '.join(argv or sys.argv[1:])}".rstrip())
    report.say(*(f"  {line}" for line in machine_lines()))
    if "fanout" in options.only:
        fanout.run(report, settings.fanout)
    if "overhead" in options.only:
        overhead.run(report, settings.overhead)
    if "cpu" in options.only:
        cpu_per_poll.run(report, settings.cpu)
    if "replay" in options.only:
        replay_long.run(report, settings.replay)
    if "floor" in options.only:
        floor.run(report, settings.floor)
    if "soak" in options.only:
        soak.run(report, settings.soak)
    report.summary()
    report.say("", "  at the end:", *(f"  {line}" for line in machine_lines()))
    report.say(f"  took {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
