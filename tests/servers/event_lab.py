"""Small device servers for the integration tests, named unlike the tutorial on purpose.

`EventSource` pushes change events of `value` on command (`Push(n)`, `PushBurst(n)` in the
background, or `StartPushing(rate_hz)` until `StopPushing()`); its `quiet` attribute has
change events that are never pushed (a topic to churn on); with the `timestamp_offset`
property (seconds) every value is stamped that long in the past. `EventSink` subscribes to
the `value` change events of the devices in its `sources` property (or given to
`Subscribe`), stateless, so a source whose server does not run stays in `not_connected`;
its callback sleeps `callback_delay` seconds (property, or `SetDelay(seconds)`), or waits
on a lock taken by `BlockCallbacks()` until `ReleaseCallbacks()` (a stuck event thread);
`Churn(n)` subscribes to and unsubscribes from `churn_target` (`device/attribute`) n times
in the background (until `StopChurn()`): flat out, or `churn_rate` cycles per second on
average, each subscription then held for part of its cycle (both at random).
With a database: `python event_lab.py INSTANCE` (server EventLab/INSTANCE). Without one:
`EVENT_LAB_CLASS=EventSource python event_lab.py INSTANCE -nodb -dlist a/b/c -ORBendPoint ...`.
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time

from tango import AttrQuality, DeviceProxy, DevState, EnsureOmniThread, EventData, EventType
from tango.server import Device, attribute, command, device_property, run

SERVER_NAME = "EventLab"


class EventSource(Device):
    timestamp_offset = device_property(dtype=float, default_value=0.0)

    def init_device(self) -> None:
        super().init_device()
        self._value = 0
        self._lock = threading.Lock()
        self._stop_pushing = threading.Event()
        self._pusher: threading.Thread | None = None
        self._bursts: list[threading.Thread] = []
        self.set_change_event("value", True, False)
        self.set_change_event("quiet", True, False)
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        self.StopPushing()
        for burst in self._bursts:
            burst.join(timeout=0.5)  # a pusher may wait for the monitor this call holds
        self._bursts = []

    @attribute(dtype=int)
    def value(self) -> int:
        return self._value

    @attribute(dtype=int)
    def quiet(self) -> int:
        return 0

    @attribute(dtype=bool)
    def pushing(self) -> bool:
        """A background pusher (`StartPushing`) or burst (`PushBurst`) is running."""
        return (self._pusher is not None and self._pusher.is_alive()) or any(
            burst.is_alive() for burst in self._bursts
        )

    @command(dtype_in=int)
    def Push(self, count: int) -> None:
        for _ in range(count):
            self._push_one()

    @command(dtype_in=int)
    def PushBurst(self, count: int) -> None:
        """Push `count` events as fast as possible, in the background (returns at once)."""
        self._bursts = [burst for burst in self._bursts if burst.is_alive()]
        burst = threading.Thread(target=self._burst, args=(count,), daemon=True)
        self._bursts.append(burst)
        burst.start()

    @command(dtype_in=float)
    def StartPushing(self, rate_hz: float) -> None:
        """Push one event every 1/rate_hz seconds until `StopPushing`."""
        if rate_hz <= 0:
            raise ValueError("the rate must be above 0")
        self.StopPushing()
        self._stop_pushing = threading.Event()  # its own: an old pusher may still be stopping
        self._pusher = threading.Thread(
            target=self._push_at, args=(rate_hz, self._stop_pushing), daemon=True
        )
        self._pusher.start()

    @command
    def StopPushing(self) -> None:
        # pytango's push_change_event takes this device's monitor, which a command holds:
        # a pusher waiting for it cannot finish while we wait for the pusher, so wait only
        # briefly (it then pushes at most once more and stops; `pushing` says when).
        self._stop_pushing.set()
        if self._pusher is not None:
            self._pusher.join(timeout=0.5)
            if self._pusher.is_alive():
                self._bursts.append(self._pusher)  # still counted by `pushing` until it ends
            self._pusher = None

    def _push_one(self) -> None:
        with self._lock:
            self._value += 1
            if self.timestamp_offset:  # the device's own time stamp, as device code may set
                stamp = time.time() - self.timestamp_offset
                self.push_change_event("value", self._value, stamp, AttrQuality.ATTR_VALID)
            else:
                self.push_change_event("value", self._value)

    def _burst(self, count: int) -> None:
        with EnsureOmniThread():
            for _ in range(count):
                self._push_one()

    def _push_at(self, rate_hz: float, stop: threading.Event) -> None:
        period = 1.0 / rate_hz
        with EnsureOmniThread():
            next_push = time.monotonic()
            while not stop.is_set():
                self._push_one()
                next_push += period
                stop.wait(max(0.0, next_push - time.monotonic()))


class EventSink(Device):
    sources = device_property(dtype=(str,), default_value=[])
    callback_delay = device_property(dtype=float, default_value=0.0)
    churn_target = device_property(dtype=str, default_value="")
    churn_rate = device_property(dtype=float, default_value=0.0)

    def init_device(self) -> None:
        super().init_device()
        self._received = 0
        self._delay = self.callback_delay
        self._churn_cycles = 0
        self._stop_churn = threading.Event()
        self._churner: threading.Thread | None = None
        self._subscriptions: list[tuple[DeviceProxy, int]] = []
        self._gate = threading.Lock()  # held by BlockCallbacks: every callback then waits
        for source in self.sources:
            self.Subscribe(source)
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        self.StopChurn()
        self.ReleaseCallbacks()
        self.UnsubscribeAll()

    @attribute(dtype=int)
    def received(self) -> int:
        return self._received

    @attribute(dtype=int)
    def churn_cycles(self) -> int:
        """Subscribe/unsubscribe cycles done by `Churn` so far."""
        return self._churn_cycles

    @attribute(dtype=float)
    def delay(self) -> float:
        return self._delay

    @command(dtype_in=str)
    def Subscribe(self, source: str) -> None:
        proxy = DeviceProxy(source)
        subscription = proxy.subscribe_event(
            "value", EventType.CHANGE_EVENT, self._on_value, stateless=True
        )
        self._subscriptions.append((proxy, subscription))

    @command
    def UnsubscribeAll(self) -> None:
        for proxy, subscription in self._subscriptions:
            proxy.unsubscribe_event(subscription)
        self._subscriptions = []

    @command(dtype_in=float)
    def SetDelay(self, seconds: float) -> None:
        """Sleep this long in every callback from now on (0: a fast subscriber)."""
        if seconds < 0:
            raise ValueError("the delay must be 0 or more")
        self._delay = seconds

    @command
    def BlockCallbacks(self) -> None:
        """From now on the callback waits on a lock until `ReleaseCallbacks`."""
        if not self._gate.locked():
            self._gate.acquire()  # a callback holds it only for an instant

    @command
    def ReleaseCallbacks(self) -> None:
        if self._gate.locked():
            self._gate.release()

    @command(dtype_in=int)
    def Churn(self, cycles: int) -> None:
        """Subscribe to and unsubscribe from `churn_target` `cycles` times, in the background."""
        if not self.churn_target or "/" not in self.churn_target:
            raise ValueError("set the churn_target property to device/attribute")
        if self._churner is not None and self._churner.is_alive():
            raise RuntimeError("already churning")
        self._stop_churn.clear()
        self._churn_cycles = 0
        self._churner = threading.Thread(target=self._churn, args=(cycles,), daemon=True)
        self._churner.start()

    @command
    def StopChurn(self) -> None:
        self._stop_churn.set()
        if self._churner is not None:
            self._churner.join()
            self._churner = None

    def _churn(self, cycles: int) -> None:
        device, _, attribute_name = self.churn_target.rpartition("/")
        with EnsureOmniThread():
            proxy = DeviceProxy(device)
            period = 1.0 / self.churn_rate if self.churn_rate > 0 else 0.0
            next_cycle = time.monotonic()
            for _ in range(cycles):
                if self._stop_churn.is_set():
                    break
                subscription = proxy.subscribe_event(
                    attribute_name, EventType.CHANGE_EVENT, self._on_churn
                )
                # paced, but not clock-locked (polls at a multiple of the period would always
                # find the same phase): cycles of 0.5-1.5 periods, held 20-80 % of the cycle
                cycle = period * random.uniform(0.5, 1.5)
                self._wait_until(next_cycle + cycle * random.uniform(0.2, 0.8))
                next_cycle += cycle
                proxy.unsubscribe_event(subscription)
                self._churn_cycles += 1
                self._wait_until(next_cycle)

    def _wait_until(self, moment: float) -> None:
        self._stop_churn.wait(max(0.0, moment - time.monotonic()))

    def _on_churn(self, event: EventData) -> None:
        pass

    def _on_value(self, event: EventData) -> None:
        with self._gate:  # free unless BlockCallbacks took it
            pass
        if self._delay:
            time.sleep(self._delay)
        if not event.err:
            self._received += 1


def main() -> None:
    classes = (EventSource, EventSink)
    if only := os.environ.get("EVENT_LAB_CLASS"):  # -nodb -dlist serves a single class
        classes = tuple(c for c in classes if c.__name__ == only)
    run(classes, args=[SERVER_NAME, *sys.argv[1:]])


if __name__ == "__main__":
    main()
