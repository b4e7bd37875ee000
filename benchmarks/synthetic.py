"""QueryEventSystem replies of a made-up control system, shaped like the recorded real ones.

`System(servers, streams)`: server i (`dserver/Sim/i`, device `sim/dev/i`) publishes `streams`
change-event streams and subscribes to the streams of server i + 1 (a ring), so every reply
has both sides, as in tests/data/*.jsonl. Each poll every stream pushes `events_per_poll`
events; with perf monitoring on, each side carries one sample per event (at most 256, the
ring). A few servers misbehave so that the findings have something to find: a slow callback
(saturated event thread), a subscriber falling behind (backlog), a publisher losing events at
the high-water mark (missed events), and late callbacks (latency).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ska_tango_event_monitor.core.session import ServerPoll, Snapshot

HOST = "tango://10.0.0.1:10000"
RING = 256
START = datetime(2026, 1, 1)


@dataclass(frozen=True)
class System:
    servers: int = 100
    streams: int = 20
    events_per_poll: int = 2
    period_s: float = 1.0
    perf: bool = True
    seed: int = 1
    # the misbehaving servers (-1: none)
    slow: int = 3  # callbacks take 90 % of the time: a saturated event thread
    behind: int = 5  # falls one event further behind every poll: a growing backlog
    lossy: int = 7  # a gap in the server counter every 4th poll: missed events
    late: int = 9  # callbacks 1.2-2 s after the push: latency

    def admin(self, index: int) -> str:
        return f"dserver/Sim/{index}"

    def device(self, index: int) -> str:
        return f"sim/dev/{index}"

    def time(self, poll: int) -> datetime:
        return START + timedelta(seconds=poll * self.period_s)

    def snapshot(self, poll: int) -> Snapshot:
        return Snapshot(
            self.time(poll), tuple(self.server_poll(i, poll) for i in range(self.servers))
        )

    def server_poll(self, index: int, poll: int) -> ServerPoll:
        devices = (self.device(index),)
        return ServerPoll(self.admin(index), devices, reply=self.reply(index, poll))

    def reply(self, index: int, poll: int) -> dict[str, Any]:
        rng = random.Random(self.seed * 1_000_003 + index * 7919 + poll)
        source = (index + 1) % self.servers
        return {
            "version": 1,
            "server": {
                "event_counters": self._counters(index, poll),
                "perf": self._publisher_samples(rng, index, poll) if self.perf else None,
            },
            "client": {
                "event_callbacks": self._callbacks(index, source, poll),
                "not_connected": [],
                "event_channels": {
                    f"{HOST}/dserver/sim/{source}": {
                        "endpoint": f"tcp://10.0.0.1:{40000 + source}"
                    }
                },
                "perf": self._subscriber_samples(rng, index, poll) if self.perf else None,
            },
        }

    def _pushed(self, index: int, poll: int) -> int:
        """Events pushed per stream by server `index` up to this poll."""
        return poll * self.events_per_poll

    def _counters(self, index: int, poll: int) -> dict[str, int]:
        pushed = self._pushed(index, poll)
        return {self._stream(index, j, "change"): pushed + 1 for j in range(self.streams)}

    def _callbacks(self, index: int, source: int, poll: int) -> dict[str, dict[str, Any]]:
        pushed = self._pushed(source, poll)
        received = pushed
        if index == self.behind:  # falls one more event behind every poll
            received = max(0, pushed - poll)
        lost = poll // 4 if index == self.lossy else 0  # a gap every 4th poll
        return {
            self._stream(source, j, "idl5_change"): {
                "channel_name": f"{HOST}/dserver/sim/{source}",
                "callback_count": 1,
                "server_counter": received,
                "event_count": received - lost * 5,
                "missed_event_count": lost,
                "discarded_event_count": 1,
                "last_resubscribed": None,
            }
            for j in range(self.streams)
        }

    def _stream(self, index: int, attribute: int, kind: str) -> str:
        return f"{HOST}/{self.device(index)}/attr{attribute}.{kind}"

    def _sample_count(self) -> int:
        return min(RING, self.streams * self.events_per_poll)

    def _publisher_samples(self, rng: random.Random, index: int, poll: int) -> list[dict]:
        gap = round(self.period_s * 1e6 / max(1, self._sample_count()))
        return [
            {
                "micros_since_last_event": None
                if poll == 0 and n == 0
                else gap + rng.randint(-50, 50),
                "push_event_micros": rng.randint(30, 200),
            }
            for n in range(self._sample_count())
        ]

    def _subscriber_samples(self, rng: random.Random, index: int, poll: int) -> list[dict]:
        count = self._sample_count()
        gap = round(self.period_s * 1e6 / max(1, count))
        samples = []
        for n in range(count):
            process = round(gap * 0.9) if index == self.slow else rng.randint(20, 120)
            latency = (
                rng.randint(1_200_000, 2_000_000) if index == self.late else rng.randint(150, 900)
            )
            samples.append(
                {
                    "attr_name": f"attr{n % self.streams}",
                    "micros_since_last_event": gap + rng.randint(-50, 50),
                    "sleep_micros": max(1, gap - process + rng.randint(-50, 50)),
                    "process_micros": process,
                    "first_callback_latency_micros": latency,
                    "callback_count": 1,
                    "wake_count": 1,
                    "discarded": False,
                }
            )
        return samples
