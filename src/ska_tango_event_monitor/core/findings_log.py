"""Findings gathered over a whole run, for the summary at exit and for `--fail-on`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ska_tango_event_monitor.core.findings import Finding, Severity, Unjudged
from ska_tango_event_monitor.core.findings.judged import CHECKS
from ska_tango_event_monitor.core.health import SEVERITY, StreamHealth, Verdict


@dataclass(frozen=True)
class StreamRecord:
    """One stream over the run: its worst verdict and its largest lag."""

    subscriber: str
    label: str  # foo/bar/hw/position.change
    worst: Verdict | None  # None: never judged
    max_lag_s: float | None
    lag_at_least: bool  # the largest lag is a lower bound


@dataclass(frozen=True)
class RecurringFinding:
    """One kind of finding on one server and stream, over all the snapshots that raised it."""

    @property
    def severity(self) -> Severity:
        return self.worst.severity

    worst: Finding  # the worst seen: highest severity, then largest magnitude
    last: Finding
    snapshots: int
    first_time: datetime
    last_time: datetime


class FindingsLog:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str | None], RecurringFinding] = {}
        self.snapshots = 0
        self.first_time: datetime | None = None
        self.last_time: datetime | None = None
        self._servers: dict[str, None] = {}  # every server polled, in order
        self._judged: set[tuple[str, str]] = set()  # (check, server) judged at least once
        self._unjudged: dict[tuple[str, str], str] = {}  # never judged: the latest reason
        self._streams: dict[tuple[str, str], StreamRecord] = {}

    def add(
        self,
        time: datetime,
        findings: Iterable[Finding],
        unjudged: Iterable[Unjudged] = (),
        servers: Iterable[str] = (),
        health: Iterable[StreamHealth] = (),
    ) -> None:
        """One snapshot's findings, the checks it could not make, the servers it polled and
        its streams' health."""
        self.snapshots += 1
        for stream in health:
            self._add_health(stream)
        self.first_time = self.first_time or time
        self.last_time = time
        self._add_judged(unjudged, servers)
        counted: set[tuple[str, str, str | None]] = set()
        for finding in findings:
            key = (finding.kind, finding.server, finding.stream)
            known = self._entries.get(key)
            if known is None:
                self._entries[key] = RecurringFinding(finding, finding, 1, time, time)
            else:  # a key twice in one snapshot is still one snapshot
                self._entries[key] = replace(
                    known,
                    worst=max(known.worst, finding, key=_badness),
                    last=finding,
                    snapshots=known.snapshots + (key not in counted),
                    last_time=time,
                )
            counted.add(key)

    def _add_health(self, stream: StreamHealth) -> None:
        key = (stream.subscriber, stream.label)
        known = self._streams.get(key)
        worst, lag, at_least = stream.verdict, stream.lag_s, stream.lag_at_least
        if known is not None:
            if known.worst is not None and (
                worst is None or SEVERITY[known.worst] >= SEVERITY[worst]
            ):
                worst = known.worst
            if known.max_lag_s is not None and (lag is None or known.max_lag_s >= lag):
                lag, at_least = known.max_lag_s, known.lag_at_least
            if worst is known.worst and lag == known.max_lag_s and at_least is known.lag_at_least:
                return  # the usual poll: the record stands (made again, it costs per stream)
        self._streams[key] = StreamRecord(stream.subscriber, key[1], worst, lag, at_least)

    @property
    def streams(self) -> list[StreamRecord]:
        """Every stream seen, the worst first."""
        return sorted(
            self._streams.values(),
            key=lambda r: (-SEVERITY.get(r.worst, -1) if r.worst else 1, r.subscriber, r.label),
        )

    def _add_judged(self, unjudged: Iterable[Unjudged], servers: Iterable[str]) -> None:
        missing = {(item.check, item.server): item.reason for item in unjudged}
        for server in servers:
            self._servers.setdefault(server)
            self._judged.update((c, server) for c in CHECKS if (c, server) not in missing)
        for pair, reason in missing.items():
            if pair not in self._judged:
                self._unjudged[pair] = reason
        for pair in self._judged & self._unjudged.keys():
            del self._unjudged[pair]

    @property
    def servers(self) -> list[str]:
        return list(self._servers)

    @property
    def never_judged(self) -> list[Unjudged]:
        """Checks never made on a server during the whole run, with the latest reason."""
        return [Unjudged(check, server, why) for (check, server), why in self._unjudged.items()]

    @property
    def entries(self) -> list[RecurringFinding]:
        """Worst first, then in the order they were first raised."""
        return sorted(self._entries.values(), key=lambda entry: -entry.severity)

    @property
    def worst(self) -> Severity | None:
        return max((entry.severity for entry in self._entries.values()), default=None)


def _badness(finding: Finding) -> tuple[Severity, float]:
    return finding.severity, finding.magnitude
