"""The truth about a stream-health scenario, measured apart from the monitor.

`PushLog` subscribes, in the capture script's own process (an idle, fast consumer that the
monitor does not see), to the streams of a scenario and keeps each event's time stamp: the
publisher set it as it pushed, so the n-th event after the subscription is the push time
of server counter n. `Timeline` notes what the script did and when. `truth` joins them
with the counters of the monitor's recording into `scenario_NAME.truth.json`: per poll and
subscription, the events behind and the true lag in seconds. Both clocks are this host's.
"""

from __future__ import annotations

import bisect
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import tango
from scenario_lab import CaptureError, MonitorRun, recorded

from ska_tango_event_monitor.core.streams import stream_key


class PushLog:
    """Push times per stream (`lab/source/1/value.change`), from the events' time stamps."""

    def __init__(self) -> None:
        self.pushes: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self._subscriptions: list[tuple[tango.DeviceProxy, int]] = []

    def watch(self, device: str, attribute: str) -> None:
        """Subscribe to `attribute`'s change events of `device` (a full name): subscribe
        before the first push, so that the n-th event logged is server counter n."""
        proxy = tango.DeviceProxy(device)
        key = stream_key(f"{device}/{attribute}.change")
        armed = threading.Event()  # the synchronous first callback reads, it is no event

        def logged(event: tango.EventData) -> None:
            if event.err or not armed.is_set():
                return
            with self._lock:
                self.pushes[key].append(event.attr_value.time.totime())

        with self._lock:
            self.pushes[key] = []
        subscription = proxy.subscribe_event(attribute, tango.EventType.CHANGE_EVENT, logged)
        armed.set()
        self._subscriptions.append((proxy, subscription))

    def close(self) -> None:
        for proxy, subscription in self._subscriptions:
            proxy.unsubscribe_event(subscription)
        self._subscriptions = []


@dataclass
class Timeline:
    """What the scenario did, with this host's wall-clock time."""

    notes: list[tuple[float, str]] = field(default_factory=list)

    def note(self, what: str) -> float:
        now = time.time()
        self.notes.append((now, what))
        return now


def truth(run: MonitorRun, log: PushLog, timeline: Timeline, path: Path) -> dict[str, Any]:
    """Write the truth to `path` and return it; fail when the push log misses events the
    publishers counted."""
    lines = recorded(run)
    polls = [_poll(i, line, log.pushes) for i, line in enumerate(lines)]
    last = _published(lines[-1])
    for stream, pushed in log.pushes.items():
        if stream in last and last[stream] > len(pushed):
            raise CaptureError(f"{stream}: {len(pushed)} pushes logged, {last[stream]} counted")
    start = _seconds(lines[0]["time"])
    poll_times = [_seconds(line["time"]) for line in lines]
    result = {
        "definitions": DEFINITIONS,
        "timeline": [
            {
                "time": _iso(moment),
                "since_poll_0_s": round(moment - start, 3),
                "after_poll": bisect.bisect_right(poll_times, moment) - 1,
                "what": what,
            }
            for moment, what in timeline.notes
        ],
        "pushes": {stream: [_iso(t) for t in times] for stream, times in log.pushes.items()},
        "polls": polls,
    }
    path.write_text(json.dumps(result, indent=1) + "\n")
    return result


DEFINITIONS = {
    "pushes": "per stream, the push time of server counter n at index n-1",
    "pushed": "the publisher's last pushed counter at this poll (event_counters - 1)",
    "received": "the subscriber's server_counter at this poll",
    "behind": "pushed - received: events pushed and not yet received",
    "lag_s": "poll time - push time of the last event received; 0 when nothing is behind",
    "oldest_waiting_s": "poll time - push time of the first event not yet received; 0 when "
    "nothing is behind",
}


def _poll(index: int, line: dict[str, Any], pushes: dict[str, list[float]]) -> dict[str, Any]:
    moment, published = _seconds(line["time"]), _published(line)
    streams = []
    for admin, topic, received in _received(line):
        stream = stream_key(topic)
        if stream not in published:
            continue
        pushed, times = published[stream], pushes.get(stream, [])
        behind = pushed - received
        streams.append(
            {
                "subscriber": admin,
                "stream": stream,
                "pushed": pushed,
                "received": received,
                "behind": behind,
                "lag_s": _age(moment, times, received) if behind > 0 else 0.0,
                "oldest_waiting_s": _age(moment, times, received + 1) if behind > 0 else 0.0,
            }
        )
    return {"poll": index, "time": line["time"], "streams": streams}


def _age(moment: float, times: list[float], counter: int) -> float | None:
    """Seconds since counter `counter` was pushed (None: not logged, e.g. counter 0)."""
    return round(moment - times[counter - 1], 3) if 0 < counter <= len(times) else None


def _published(line: dict[str, Any]) -> dict[str, int]:
    return {
        stream_key(stream): counter - 1
        for server in line["servers"]
        for stream, counter in ((server.get("reply") or {}).get("server") or {})
        .get("event_counters", {})
        .items()
    }


def _received(line: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [
        (server["admin"], topic, callback["server_counter"])
        for server in line["servers"]
        for topic, callback in ((server.get("reply") or {}).get("client") or {})
        .get("event_callbacks", {})
        .items()
    ]


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment).isoformat()
