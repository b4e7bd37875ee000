"""A device server of a ring of servers, for the multi-server scenarios of the capture script.

Server `RingNode/INSTANCE` hosts two devices. `RingSensor` (`ring/sensor/NN`) reads its
"hardware" every `push_period` seconds and pushes change events of `temperature`,
`pressure` and `humidity`, the three back to back, as a device polling loop does.
`RingWatch` (`ring/watch/NN`) subscribes to those three streams of the sensor named in its
`source` property when told to (`SubscribeSource()`, once every server of the ring runs:
the next server's sensor, so that each server publishes and subscribes); its callback
sleeps `callback_delay` seconds on events of `slow_attribute` (every attribute when empty)
and `received` counts the events taken.

Run: `python ring_node.py INSTANCE` with TANGO_HOST set and the devices registered.
"""

from __future__ import annotations

import math
import sys
import threading
import time

from tango import DeviceProxy, DevState, EnsureOmniThread, EventData, EventType
from tango.server import Device, attribute, command, device_property, run

SERVER_NAME = "RingNode"
STREAMS = ("temperature", "pressure", "humidity")


class RingSensor(Device):
    push_period = device_property(dtype=float, default_value=0.5)

    def init_device(self) -> None:
        super().init_device()
        self._readings = {"temperature": 21.0, "pressure": 1013.0, "humidity": 40.0}
        self._cycles = 0
        self._stop = threading.Event()
        for name in STREAMS:
            self.set_change_event(name, True, False)
        self._pusher = threading.Thread(target=self._push_periodically, daemon=True)
        self._pusher.start()
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        self._stop.set()
        self._pusher.join(timeout=0.5)  # a push waits for the device monitor this call holds

    @attribute(dtype=float, unit="degC")
    def temperature(self) -> float:
        return self._readings["temperature"]

    @attribute(dtype=float, unit="hPa")
    def pressure(self) -> float:
        return self._readings["pressure"]

    @attribute(dtype=float, unit="%")
    def humidity(self) -> float:
        return self._readings["humidity"]

    @attribute(dtype=int)
    def cycles(self) -> int:
        """Push cycles so far (each pushes the three streams)."""
        return self._cycles

    def _push_periodically(self) -> None:
        with EnsureOmniThread():
            next_push = time.monotonic()
            while not self._stop.is_set():
                self._cycles += 1
                drift = math.sin(self._cycles / 20)  # a value that changes every cycle
                for name, base in (("temperature", 21.0), ("pressure", 1013.0)):
                    self._readings[name] = base + drift
                self._readings["humidity"] = 40.0 + 5 * drift
                for name in STREAMS:
                    self.push_change_event(name, self._readings[name])
                next_push += self.push_period
                self._stop.wait(max(0.0, next_push - time.monotonic()))


class RingWatch(Device):
    source = device_property(dtype=str, default_value="")
    callback_delay = device_property(dtype=float, default_value=0.0)
    slow_attribute = device_property(dtype=str, default_value="")

    def init_device(self) -> None:
        super().init_device()
        self._received = 0
        self._subscriptions: list[tuple[DeviceProxy, int]] = []
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        for proxy, subscription in self._subscriptions:
            proxy.unsubscribe_event(subscription)
        self._subscriptions = []

    @attribute(dtype=int)
    def received(self) -> int:
        return self._received

    @command
    def SubscribeSource(self) -> None:
        """Subscribe to the three streams of the `source` sensor (once it runs)."""
        if not self.source or self._subscriptions:
            return
        proxy = DeviceProxy(self.source)
        for name in STREAMS:
            subscription = proxy.subscribe_event(name, EventType.CHANGE_EVENT, self._on_event)
            self._subscriptions.append((proxy, subscription))

    def _on_event(self, event: EventData) -> None:
        if event.err:
            return
        slow = not self.slow_attribute or event.attr_name.lower().endswith(
            "/" + self.slow_attribute.lower()
        )
        if slow and self.callback_delay:
            time.sleep(self.callback_delay)
        self._received += 1


def main() -> None:
    run((RingSensor, RingWatch), args=[SERVER_NAME, *sys.argv[1:]])


if __name__ == "__main__":
    main()
