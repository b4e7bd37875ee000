"""One report's event rates, looked up per publisher stream and per subscriber topic.

Pure, read from a `SnapshotReport` only; made once per report by every output that shows a
rate per stream (`--top`'s rows, the event graph's edges). The report carries a rate only
for what moved since the server's previous good reply; this tells the rest apart: 0 for a
stream or topic that stood still since that reply, None for one new since (no rate yet),
for a server without one, and for all without the analysis (it makes the rates).
"""

from __future__ import annotations

from ska_tango_event_monitor.core.session import SnapshotReport
from ska_tango_event_monitor.core.streams import stream_key


class StreamRates:
    """Events per second pushed on each stream and processed on each topic of a report."""

    def __init__(self, report: SnapshotReport) -> None:
        self._analysed = report.findings is not None
        self._pushed = {
            (rate.server, stream_key(rate.name)): rate.per_second
            for server in report.servers
            for rate in server.pushed_rates
        }
        self._processed = {
            (rate.server, rate.name): rate.per_second
            for server in report.servers
            for rate in server.processed_rates
        }
        # per server that answered: what its diff says is new since its previous good reply
        self._new_streams: dict[str, set[str]] = {}
        self._new_topics: dict[str, set[str]] = {}
        for server in report.servers:
            if server.diff is not None:
                self._new_streams[server.admin] = {p.stream for p in server.diff.new_publishers}
                self._new_topics[server.admin] = {s.topic for s in server.diff.new_subscriptions}

    def pushed(self, admin: str, stream: str) -> float | None:
        """On a publisher's stream, as the publisher names it."""
        moved = self._pushed.get((admin, stream_key(stream)))
        new = self._new_streams.get(admin)
        return self._rate(moved, new is not None and stream not in new)

    def processed(self, admin: str, topic: str) -> float | None:
        """On a subscriber's topic, as the subscriber names it."""
        moved = self._processed.get((admin, topic))
        new = self._new_topics.get(admin)
        return self._rate(moved, new is not None and topic not in new)

    def _rate(self, moved: float | None, known_before: bool) -> float | None:
        if not self._analysed:
            return None
        if moved is not None:
            return moved
        return 0.0 if known_before else None
