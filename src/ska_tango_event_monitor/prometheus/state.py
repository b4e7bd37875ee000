"""The exporter's latest state, swapped as one immutable reference after each poll.

Pure: `next_state` folds a snapshot, its report and the state of each admin device into
a new `ExportState`; `LatestSnapshot` only holds the reference for concurrent scrapes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from ska_tango_event_monitor.core.findings import Finding, Unjudged
from ska_tango_event_monitor.core.flow import Backlog, ServerView, backlogs
from ska_tango_event_monitor.core.health import StreamHealth
from ska_tango_event_monitor.core.model import EventSystemState, processed
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.session import Snapshot, SnapshotReport
from ska_tango_event_monitor.prometheus.names import (
    LATENCY,
    PROCESSING,
    PUBLISHER_GAP,
    PUSH,
    SLEEP,
    SUBSCRIBER_GAP,
    WAKES,
)

K = TypeVar("K")
V = TypeVar("V")
SeriesKey = tuple[str, tuple[str, ...]]  # summary name, label values (server, tango_host first)


def _empty() -> Mapping[K, V]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ExportState:
    """What the collector renders: the latest poll, and sample totals since start."""

    snapshot: Snapshot | None = None
    up: Mapping[str, bool] = field(default_factory=_empty)  # by admin device
    databases: Mapping[str, str] = field(default_factory=_empty)  # tango_host by admin device
    states: Mapping[str, EventSystemState] = field(default_factory=_empty)  # up only
    backlogs: tuple[Backlog, ...] = ()
    health: tuple[StreamHealth, ...] = ()  # the report's, as the analysis computed it
    findings: tuple[Finding, ...] | None = None  # None: no analysis
    unjudged: tuple[Unjudged, ...] = ()
    observations: Mapping[SeriesKey, tuple[int, ...]] = field(default_factory=_empty)
    totals: Mapping[SeriesKey, tuple[int, int]] = field(default_factory=_empty)


class LatestSnapshot:
    """Thread-safe holder of the latest state: written by the polling loop, read by scrapes.

    `update` builds a new immutable `ExportState` and swaps one reference; readers take that
    reference once and hold no lock while rendering.
    """

    def __init__(self) -> None:
        self._state = ExportState()
        self._writing = threading.Lock()  # only between concurrent updates

    @property
    def current(self) -> ExportState:
        return self._state

    def update(
        self,
        snapshot: Snapshot,
        report: SnapshotReport,
        states: Mapping[str, EventSystemState],
    ) -> None:
        """After each poll: the snapshot, its report, and the state of each admin device
        (`SnapshotReport.states`); only servers whose report has no error count."""
        with self._writing:
            self._state = next_state(self._state, snapshot, report, states)


def next_state(
    previous: ExportState,
    snapshot: Snapshot,
    report: SnapshotReport,
    states: Mapping[str, EventSystemState],
) -> ExportState:
    up = {server.admin: server.error is None for server in report.servers}
    databases = {server.admin: server.tango_host or "" for server in report.servers}
    current = {admin: states[admin] for admin in sorted(states) if up.get(admin)}
    observed = _observations(current, databases)
    flows = report.backlogs
    if report.findings is None:  # no analysis: join the streams here
        flows = tuple(backlogs([ServerView(admin, state) for admin, state in current.items()]))
    return ExportState(
        snapshot=snapshot,
        up=MappingProxyType(up),
        databases=MappingProxyType(databases),
        states=MappingProxyType(current),
        backlogs=tuple(flows),
        health=report.health,
        findings=report.findings,
        unjudged=report.unjudged,
        observations=MappingProxyType({k: tuple(sorted(v)) for k, v in observed.items()}),
        totals=MappingProxyType(
            _totals(previous, set(server_labels(databases).values()), observed)
        ),
    )


def server_labels(databases: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """The `server` and `tango_host` labels of each admin device polled."""
    return {admin: (short_name(admin), host) for admin, host in databases.items()}


def _totals(
    previous: ExportState,
    present: set[tuple[str, str]],
    observed: Mapping[SeriesKey, list[int]],
) -> dict[SeriesKey, tuple[int, int]]:
    """Sample counts and sums since start, forgetting the servers no longer polled."""
    totals = {key: value for key, value in previous.totals.items() if key[1][:2] in present}
    for key, values in observed.items():
        count, total = totals.get(key, (0, 0))
        totals[key] = (count + len(values), total + sum(values))
    return totals


def _observations(
    states: Mapping[str, EventSystemState], databases: Mapping[str, str]
) -> dict[SeriesKey, list[int]]:
    """Microseconds (wakes for WAKES) per summary series; discarded events are left out,
    as in the tables."""
    found: dict[SeriesKey, list[int]] = {}

    def add(name: str, labels: tuple[str, ...], micros: int | None) -> None:
        if micros is not None:
            found.setdefault((name, labels), []).append(micros)

    for admin, state in states.items():
        server = (short_name(admin), databases.get(admin, ""))
        for published in state.publisher_samples or ():
            add(PUBLISHER_GAP, server, published.micros_since_last_event)
            add(PUSH, server, published.push_event_micros)
        for received in processed(state.subscriber_samples):
            add(SUBSCRIBER_GAP, server, received.micros_since_last_event)
            add(SLEEP, server, received.sleep_micros)
            add(LATENCY, server, received.first_callback_latency_micros)
            add(PROCESSING, (*server, received.attr_name), received.process_micros)
            add(WAKES, server, received.wake_count)
    return found
