"""Where the time goes: a cProfile run summarised by module and by function."""

from __future__ import annotations

import cProfile
import pstats
from collections import Counter

from benchmarks.results import Report, ms


def report_profile(report: Report, profile: cProfile.Profile, per: int, unit: str) -> None:
    """Own time per `unit` (the run divided by `per`), by module, then the top functions."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    by_module: Counter = Counter()
    for (path, _, _), (_, _, own, _, _) in stats.items():
        by_module[path.rsplit("/", 1)[-1]] += own / per
    modules = ", ".join(f"{name} {ms(own):.3g}" for name, own in by_module.most_common(10))
    report.say(f"    own time by module (ms per {unit}): {modules}")
    ranked = sorted(stats.items(), key=lambda item: -item[1][2])[:10]
    for (path, line, name), (_, calls, own, cumulative, _) in ranked:
        report.say(
            f"    {ms(own / per):8.3f} ms own {ms(cumulative / per):8.3f} ms cumulative "
            f"{calls / per:9.1f} calls per {unit}  {path.rsplit('/', 1)[-1]}:{line}({name})"
        )
