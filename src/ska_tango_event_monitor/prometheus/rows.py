"""The exporter's series as plain rows: label values to a value, read from an `ExportState`.

Pure: the prometheus_client adapter (`prometheus`) only wraps these rows in metric families.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ska_tango_event_monitor.core.findings.judged import CHECKS
from ska_tango_event_monitor.core.health import StreamHealth, Verdict
from ska_tango_event_monitor.core.model import Subscription
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.statistics import percentile
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.prometheus.names import COUNT_SUMMARIES, QUANTILES
from ska_tango_event_monitor.prometheus.state import ExportState

Rows = Mapping[tuple[str, ...], float]


def stream_labels(name: str) -> tuple[str, str]:
    """(`foo/bar/hw/position`, `change`) of `tango://h:1/foo/bar/hw/position.idl5_change`."""
    stream, _, event_type = stream_key(name).rpartition(".")
    return stream, event_type


def server_of(state: ExportState, admin: str) -> tuple[str, str]:
    """The `server` and `tango_host` labels of an admin device."""
    return short_name(admin), state.databases.get(admin, "")


def up_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin in sorted(state.up):
        rows.setdefault(server_of(state, admin), 1.0 if state.up[admin] else 0.0)
    return rows


def duration_rows(state: ExportState) -> Rows:
    assert state.snapshot is not None
    polls = sorted(state.snapshot.polls, key=lambda poll: poll.admin)
    rows: dict[tuple[str, ...], float] = {}
    for poll in polls:
        if poll.duration_s is not None and math.isfinite(poll.duration_s):
            rows.setdefault(server_of(state, poll.admin), poll.duration_s)
    return rows


def pushed_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin, server_state in state.states.items():
        for stream in sorted(server_state.publishers):
            labels = (*server_of(state, admin), *stream_labels(stream))
            rows.setdefault(labels, server_state.publishers[stream].last_pushed)
    return rows


def subscription_rows(state: ExportState, value: Callable[[Subscription], int]) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin, server_state in state.states.items():
        for topic in sorted(server_state.subscriptions):
            labels = (*server_of(state, admin), *stream_labels(topic))
            rows.setdefault(labels, value(server_state.subscriptions[topic]))
    return rows


def backlog_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for flow in sorted(state.backlogs, key=lambda f: (f.subscriber, f.topic, f.publisher)):
        labels = (*server_of(state, flow.subscriber), *stream_labels(flow.topic))
        rows.setdefault((*labels, *server_of(state, flow.publisher)), flow.events)
    return rows


def _health_labels(state: ExportState) -> list[tuple[tuple[str, ...], StreamHealth]]:
    """Each stream's health with the backlog's labels (subscriber as `server`, publisher)."""
    found: dict[tuple[str, ...], StreamHealth] = {}
    for health in sorted(state.health, key=lambda h: (h.subscriber, h.topic, h.publisher)):
        labels = (*server_of(state, health.subscriber), *stream_labels(health.topic))
        found.setdefault((*labels, *server_of(state, health.publisher)), health)
    return list(found.items())


def lag_rows(state: ExportState) -> Rows:
    """The lag in seconds of each stream whose lag is known."""
    return {
        labels: health.lag_s
        for labels, health in _health_labels(state)
        if health.lag_s is not None
    }


def lag_at_least_rows(state: ExportState) -> Rows:
    """1 where the lag of `lag_rows` is a lower bound, 0 where it is measured."""
    return {
        labels: 1.0 if health.lag_at_least else 0.0
        for labels, health in _health_labels(state)
        if health.lag_s is not None
    }


def verdict_rows(state: ExportState) -> Rows:
    """Per stream, one row per verdict: 1 for its verdict, 0 for the others (all 0: not
    judged yet)."""
    return {
        (*labels, verdict.name): 1.0 if health.verdict is verdict else 0.0
        for labels, health in _health_labels(state)
        for verdict in Verdict
    }


def sample_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin, server_state in state.states.items():
        for side, samples in (
            ("server", server_state.publisher_samples),
            ("client", server_state.subscriber_samples),
        ):
            if samples is not None:
                rows.setdefault((*server_of(state, admin), side), len(samples))
    return rows


@dataclass(frozen=True)
class SummaryRow:
    """One series of a summary: quantiles of the latest poll, count and sum since start."""

    labels: tuple[str, ...]
    quantiles: tuple[tuple[float, float], ...]  # (quantile, seconds), none without samples
    count: int
    sum_s: float


def summary_rows(state: ExportState, name: str) -> list[SummaryRow]:
    """The series of summary `name` of the servers that answered the latest poll."""
    servers = {server_of(state, admin) for admin in state.states}
    scale = 1.0 if name in COUNT_SUMMARIES else 1e-6  # samples are microseconds or counts
    rows = []
    for (series, values), (count, total) in sorted(state.totals.items()):
        if series != name or values[:2] not in servers:
            continue
        observed = state.observations.get((series, values), ())
        quantiles = tuple(
            (quantile, round(percentile(observed, quantile * 100) * scale, 9))  # to the ns
            for quantile in (QUANTILES if observed else ())
        )
        rows.append(SummaryRow(values, quantiles, count, total * scale))
    return rows


def finding_rows(state: ExportState) -> Rows:
    """1 per finding of the latest poll: kind, severity, server, tango_host, stream ('' for
    none)."""
    return {
        (f.kind, f.severity.name, *server_of(state, f.server), f.stream or ""): 1.0
        for f in state.findings or ()
    }


def check_rows(state: ExportState) -> Rows:
    """Per server and check: 1 judged at the latest poll, 0 not (none without analysis)."""
    if state.findings is None:
        return {}
    missing = {(u.server, u.check) for u in state.unjudged}
    return {
        (*server_of(state, admin), check): 0.0 if (admin, check) in missing else 1.0
        for admin in sorted(state.up, key=short_name)
        for check in CHECKS
    }
