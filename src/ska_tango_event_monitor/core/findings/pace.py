"""Each published stream's pace, from its publisher's counter over the window.

A server's event-gap samples mix all its streams: only a stream's own counter tells how
often that stream is pushed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ska_tango_event_monitor.core.findings.window import ServerWindow
from ska_tango_event_monitor.core.flow import PublisherIndex
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.streams import same_attribute, stream_key


class Pace:
    def __init__(self, windows: Mapping[str, ServerWindow], index: PublisherIndex) -> None:
        """`index`: the publishers of the windows' latest replies (`publisher_index`)."""
        self._windows = windows
        self._publisher = index

    def per_second(self, key: str) -> float | None:
        """Events per second pushed on the stream (None: its publisher is not monitored)."""
        found = self._publisher.get(key)
        if found is None:
            return None
        admin, publisher = found
        return self._windows[admin].pushed_per_second(publisher.stream)

    def subscribed_streams(self, state: EventSystemState, attribute: str) -> list[str]:
        """Stream keys of the subscriptions whose attribute has this (sampled) name."""
        return sorted(
            {key for key in map(stream_key, state.subscriptions) if same_attribute(key, attribute)}
        )

    def fastest(self, keys: Sequence[str]) -> tuple[str, float] | None:
        paces = [(key, rate) for key in keys if (rate := self.per_second(key)) is not None]
        return max(paces, key=lambda item: (item[1], item[0]), default=None)
