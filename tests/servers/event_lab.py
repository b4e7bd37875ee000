"""Small device servers for the integration tests, named unlike the tutorial on purpose.

`EventSource` pushes change events of `value` on command; `EventSink` subscribes to the
`value` change events of the devices in its `sources` property (or given to `Subscribe`).
With a database: `python event_lab.py INSTANCE` (server EventLab/INSTANCE). Without one:
`EVENT_LAB_CLASS=EventSource python event_lab.py INSTANCE -nodb -dlist a/b/c -ORBendPoint ...`.
"""

from __future__ import annotations

import os
import sys

from tango import DeviceProxy, DevState, EventData, EventType
from tango.server import Device, attribute, command, device_property, run

SERVER_NAME = "EventLab"


class EventSource(Device):
    def init_device(self) -> None:
        super().init_device()
        self._value = 0
        self.set_change_event("value", True, False)
        self.set_state(DevState.ON)

    @attribute(dtype=int)
    def value(self) -> int:
        return self._value

    @command(dtype_in=int)
    def Push(self, count: int) -> None:
        for _ in range(count):
            self._value += 1
            self.push_change_event("value", self._value)


class EventSink(Device):
    sources = device_property(dtype=(str,), default_value=[])

    def init_device(self) -> None:
        super().init_device()
        self._received = 0
        self._subscriptions: list[tuple[DeviceProxy, int]] = []
        for source in self.sources:
            self.Subscribe(source)
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        self.UnsubscribeAll()

    @attribute(dtype=int)
    def received(self) -> int:
        return self._received

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

    def _on_value(self, event: EventData) -> None:
        if not event.err:
            self._received += 1


def main() -> None:
    classes = (EventSource, EventSink)
    if only := os.environ.get("EVENT_LAB_CLASS"):  # -nodb -dlist serves a single class
        classes = tuple(c for c in classes if c.__name__ == only)
    run(classes, args=[SERVER_NAME, *sys.argv[1:]])


if __name__ == "__main__":
    main()
