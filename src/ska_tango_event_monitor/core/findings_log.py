"""Findings gathered over a whole run, for the summary at exit and for `--fail-on`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ska_tango_event_monitor.core.findings import Finding, Severity, Unjudged
from ska_tango_event_monitor.core.findings.judged import CHECKS


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

    def add(
        self,
        time: datetime,
        findings: Iterable[Finding],
        unjudged: Iterable[Unjudged] = (),
        servers: Iterable[str] = (),
    ) -> None:
        """One snapshot's findings, the checks it could not make, and the servers it polled."""
        self.snapshots += 1
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
