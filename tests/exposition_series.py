"""Prometheus input series from real expositions, for `promtool test rules`.

A recording of real servers is replayed through the exporter poll by poll, as one monitor or
as several (shards, each polling only its own servers) would have served it; each poll is one
scrape. The scrapes become promtool's `input_series`: one value per scrape interval, `stale`
when a series leaves the exposition (as Prometheus marks it), `_` while it is absent. A
recording of a few polls can be continued (`extend`): cumulative series go on at their mean
increase per scrape and gauges keep their last value, as if the same went on.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import median

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.session import MonitorSession, Snapshot
from ska_tango_event_monitor.prometheus.collector import LatestSnapshot, make_registry
from ska_tango_event_monitor.recording import read_recording

JOB = "tango-event-monitor"
LAST_POLL = "tango_event_monitor_last_poll_timestamp_seconds"
# gauges that grow like counters: continued, not held, by `extend`
GROWING_GAUGES = (LAST_POLL, "tango_event_last_received_server_counter")

Scrape = dict[str, float]  # series (`name{labels}`) -> value


def polling_period(snapshots: list[Snapshot]) -> int:
    """The recording's polling period in whole seconds: the scrape interval to use."""
    gaps = [(b.time - a.time).total_seconds() for a, b in itertools.pairwise(snapshots)]
    return max(1, round(median(gaps)))


def expositions(snapshots: Iterable[Snapshot], servers: Callable[[str], bool]) -> list[str]:
    """The exposition after each poll, by a monitor of the servers `servers` accepts."""
    session, latest = MonitorSession(Analyser()), LatestSnapshot()
    registry = make_registry(latest)
    texts = []
    for snapshot in snapshots:
        polls = tuple(p for p in snapshot.polls if servers(short_name(p.admin)))
        mine = replace(snapshot, polls=polls)
        report = session.update(mine)
        latest.update(mine, report, report.states)
        texts.append(generate_latest(registry).decode())
    return texts


def scrape(text: str, instance: str, job: str = JOB) -> Scrape:
    """The samples of one exposition as Prometheus stores them, with `instance` and `job`."""
    found: Scrape = {f'up{{instance="{instance}",job="{job}"}}': 1.0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            # Prometheus keeps no label of empty value (`tango_host` of an old recording)
            labels = {k: v for k, v in sample.labels.items() if v}
            labels = {**labels, "instance": instance, "job": job}
            found[series_name(sample.name, labels)] = sample.value
    return found


def series_name(name: str, labels: Mapping[str, str]) -> str:
    pairs = ",".join(f'{key}="{_escape(labels[key])}"' for key in sorted(labels))
    return f"{name}{{{pairs}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _metric(series: str) -> str:
    return series.split("{", 1)[0]


def _grows(series: str) -> bool:
    name = _metric(series)
    return name.endswith(("_total", "_sum", "_count")) or name in GROWING_GAUGES


@dataclass
class Timeline:
    """Scrapes one interval apart (None: the target was down), turned into input series."""

    scrapes: list[Scrape | None] = field(default_factory=list)

    def add(self, *scrapes: Scrape | None) -> Timeline:
        self.scrapes.extend(scrapes)
        return self

    def extend(self, steps: int) -> Timeline:
        """`steps` more scrapes continuing the last: cumulative series at their mean
        increase per scrape so far, gauges as they were."""
        present = [s for s in self.scrapes if s is not None]
        last = present[-1]
        growth = {}
        for series in last:
            values = [s[series] for s in present if series in s]
            increases = [max(0.0, b - a) for a, b in itertools.pairwise(values)]
            if _grows(series) and increases:
                growth[series] = sum(increases) / len(increases)
        for step in range(1, steps + 1):
            self.scrapes.append(
                {series: value + growth.get(series, 0.0) * step for series, value in last.items()}
            )
        return self

    def hold(self, steps: int) -> Timeline:
        """`steps` more scrapes identical to the last: a monitor that no longer polls."""
        self.scrapes.extend([dict(self.scrapes[-1])] * steps)
        return self

    def down(self, steps: int, instance: str, job: str = JOB) -> Timeline:
        """`steps` failed scrapes: `up` 0, every other series of the target stale."""
        self.scrapes.extend([{f'up{{instance="{instance}",job="{job}"}}': 0.0}] * steps)
        return self

    def input_series(self, metrics: Collection[str] | None = None) -> list[dict[str, str]]:
        """promtool's input_series; only those of `metrics` if given (the rest cannot change
        what rules that do not name them compute)."""
        names = sorted({series for scrape in self.scrapes if scrape for series in scrape})
        if metrics is not None:
            names = [name for name in names if _metric(name) in metrics]
        return [{"series": name, "values": self._values(name)} for name in names]

    def _values(self, series: str) -> str:
        values: list[str] = []
        for scrape in self.scrapes:
            if scrape is not None and series in scrape:
                values.append(_number(scrape[series]))
            elif values and values[-1] not in ("stale", "_"):
                values.append("stale")  # gone from the scrape: Prometheus marks it stale
            else:
                values.append("_")
        return " ".join(values)


def merge(*timelines: Timeline) -> Timeline:
    """Several targets scraped at the same moments: their scrapes side by side."""
    merged = Timeline()
    for scrapes in zip(*(t.scrapes for t in timelines), strict=True):
        merged.add({k: v for scrape in scrapes if scrape for k, v in scrape.items()})
    return merged


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def recording_timeline(
    recording: Path,
    instance: str,
    servers: Callable[[str], bool] = lambda admin: True,
    upto: int | None = None,
    job: str = JOB,
) -> Timeline:
    """The scrapes of a monitor of `servers` replaying `recording` (its first `upto` polls)."""
    snapshots = list(read_recording(recording))[:upto]
    return Timeline([scrape(text, instance, job) for text in expositions(snapshots, servers)])
