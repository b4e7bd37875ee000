"""A small device server for the benchmarks (server `EventBench/INSTANCE`).

`BenchDevice` has three attributes with change events (`a`, `b`, `c`): a few event streams
per server. With `push_period` > 0 it pushes all three every `push_period` seconds; it
subscribes to the three streams of every device in its `sources` property when told to
(`SubscribeSources()`, once all servers run). For the overhead benchmark, `Burst(n)` pushes
`n` events of `a` as fast as it can and `Paced([n, rate])` pushes `n` at `rate` per second,
both in the background; a subscriber keeps the arrival time and latency of what it receives
(`TakeStats()` returns them as JSON and starts afresh).

Run: `python bench_server.py INSTANCE` with TANGO_HOST set and the devices registered.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from tango import DeviceProxy as Proxy
from tango import DevState, EnsureOmniThread, EventData, EventType
from tango.server import Device, attribute, command, device_property, run

SERVER_NAME = "EventBench"
STREAMS = ("a", "b", "c")


class BenchDevice(Device):
    sources = device_property(dtype=(str,), default_value=[])
    push_period = device_property(dtype=float, default_value=0.0)

    def init_device(self) -> None:
        super().init_device()
        self._values = dict.fromkeys(STREAMS, 0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []  # the periodic pusher stays out
        self._arrivals: list[float] = []
        self._latencies: list[float] = []
        self._subscriptions: list[tuple[Proxy, int]] = []
        for name in STREAMS:
            self.set_change_event(name, True, False)
        if self.push_period > 0:
            periodic = threading.Thread(
                target=self._push_periodically, args=(self.push_period,), daemon=True
            )
            periodic.start()
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        self._stop.set()  # the periodic pusher is a daemon and stops at its next wake-up
        for thread in self._threads:
            thread.join()
        for proxy, event in self._subscriptions:
            proxy.unsubscribe_event(event)

    @attribute(dtype=int)
    def a(self) -> int:
        return self._values["a"]

    @attribute(dtype=int)
    def b(self) -> int:
        return self._values["b"]

    @attribute(dtype=int)
    def c(self) -> int:
        return self._values["c"]

    @attribute(dtype=bool)
    def pushing(self) -> bool:
        """A `Burst` or `Paced` push is running."""
        return any(thread.is_alive() for thread in self._threads)

    @attribute(dtype=int)
    def received(self) -> int:
        return len(self._arrivals)

    @command
    def SubscribeSources(self) -> None:
        """Subscribe to the streams of the `sources` devices (once they all run)."""
        for source in self.sources:
            proxy = Proxy(source)
            for name in STREAMS:
                event = proxy.subscribe_event(name, EventType.CHANGE_EVENT, self._on_event)
                self._subscriptions.append((proxy, event))

    @command(dtype_in=int)
    def Burst(self, count: int) -> None:
        """Push `count` events of `a` as fast as possible, in the background."""
        self._background(self._push_paced, count, 0.0)

    @command(dtype_in=(float,))
    def Paced(self, count_and_rate: list[float]) -> None:
        """Push `count` events of `a` at `rate` events per second, in the background."""
        count, rate = count_and_rate
        self._background(self._push_paced, int(count), 1.0 / rate)

    @command(dtype_out=str)
    def TakeStats(self) -> str:
        """Arrival times (first, last) and latencies of the events received; then reset."""
        with self._lock:
            arrivals, latencies = self._arrivals, self._latencies
            self._arrivals, self._latencies = [], []
        first, last = (arrivals[0], arrivals[-1]) if arrivals else (None, None)
        return json.dumps(
            {"received": len(arrivals), "first": first, "last": last, "latencies": latencies}
        )

    def _background(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _push(self, name: str) -> None:
        self._values[name] += 1
        self.push_change_event(name, self._values[name])

    def _push_periodically(self, period: float) -> None:
        with EnsureOmniThread():
            while not self._stop.wait(period):
                for name in STREAMS:
                    self._push(name)

    def _push_paced(self, count: int, period: float) -> None:
        with EnsureOmniThread():
            next_push = time.monotonic()
            for _ in range(count):
                if self._stop.is_set():
                    return
                self._push("a")
                if period:
                    next_push += period
                    delay = next_push - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)

    def _on_event(self, event: EventData) -> None:
        if event.err or event.attr_value is None:
            return
        now = time.time()
        with self._lock:
            self._arrivals.append(now)
            self._latencies.append(now - event.attr_value.time.totime())


def main() -> None:
    run((BenchDevice,), args=[SERVER_NAME, *sys.argv[1:]])


if __name__ == "__main__":
    main()
