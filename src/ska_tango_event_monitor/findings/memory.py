"""What the rules remember from earlier snapshots."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ska_tango_event_monitor.flow import Backlog, ServerView, StreamRate
from ska_tango_event_monitor.streams import stream_key

# Fewer gaps than this between pushes say too little about a publisher's pace.
_MIN_PUSH_GAPS = 3


@dataclass
class Memory:
    backlog: dict[tuple[str, str], Backlog] = field(default_factory=dict)
    latency_median: dict[str, float] = field(default_factory=dict)
    peak_pushed_rate: dict[str, float] = field(default_factory=dict)  # by stream key
    push_gap_ms: dict[str, float] = field(default_factory=dict)  # median, by publisher admin
    publisher_of: dict[str, str] = field(default_factory=dict)  # stream key -> admin
    stalled_polls: dict[tuple[str, str], int] = field(default_factory=dict)

    def remember_publishers(self, views: Sequence[ServerView], pushed: list[StreamRate]) -> None:
        """The pace of each publisher, to name it when its subscribers fall behind."""
        for rate in pushed:
            key = stream_key(rate.name)
            self.peak_pushed_rate[key] = max(self.peak_pushed_rate.get(key, 0.0), rate.per_second)
        for view in views:
            self.publisher_of.update((stream_key(s), view.admin) for s in view.state.publishers)
            gaps = [
                s.micros_since_last_event / 1e3
                for s in view.state.publisher_samples or ()
                if s.micros_since_last_event is not None
            ]
            if len(gaps) >= _MIN_PUSH_GAPS:
                self.push_gap_ms[view.admin] = statistics.median(gaps)

    def fastest_stream(self, admin: str) -> str | None:
        """The stream a publisher pushes most often: the one its median push gap is about."""
        streams = [key for key, owner in self.publisher_of.items() if owner == admin]
        return max(streams, key=lambda key: self.peak_pushed_rate.get(key, 0.0), default=None)
