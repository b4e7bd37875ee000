"""Device classes of the tutorial control system (pytango high-level API)."""

from __future__ import annotations

import enum
import threading
import time

from tango import (
    AttrQuality,
    DeviceProxy,
    DevState,
    EnsureOmniThread,
    EventData,
    EventType,
)
from tango.server import Device, attribute, command, device_property

SCAN_DOC = (
    "Run a scan. This command takes at most 30 seconds to complete. "
    "You should increase your client timeout before calling this."
)


class Mode(enum.IntEnum):
    IDLE = 0
    SCANNING = 1


class HwDevice(Device):
    """Simulated hardware: a scan pushes Mode.SCANNING, position events, then Mode.IDLE."""

    scan_points = device_property(dtype=int, default_value=128)
    event_rate_hz = device_property(dtype=float, default_value=10.0)

    def init_device(self) -> None:
        super().init_device()
        self._mode = Mode.IDLE
        self._position = 0.0
        self._scan_thread: threading.Thread | None = None
        self.set_change_event("mode", True, False)
        self.set_change_event("position", True, False)
        self.set_state(DevState.ON)

    @attribute(dtype=Mode)
    def mode(self) -> Mode:
        return self._mode

    @attribute(dtype=float)
    def position(self) -> float:
        return self._position

    @command
    def Scan(self) -> None:
        """Start a scan and return at once; watch `mode` to know when it ends."""
        if self._scan_thread is not None and self._scan_thread.is_alive():
            raise RuntimeError("A scan is already running")
        self._scan_thread = threading.Thread(target=self._run_scan, daemon=True)
        self._scan_thread.start()

    def _run_scan(self) -> None:
        with EnsureOmniThread():
            started = time.monotonic()
            print("Starting scan -- pushing Mode.SCANNING", flush=True)
            self._push_mode(Mode.SCANNING)
            interval = 1.0 / self.event_rate_hz
            for point in range(self.scan_points):
                time.sleep(interval)
                self._position = float(point + 1)
                self.push_change_event("position", self._position)
            self._push_mode(Mode.IDLE)
            elapsed = time.monotonic() - started
            print(f"Scan complete in {elapsed:.2f} s -- pushed Mode.IDLE", flush=True)

    def _push_mode(self, mode: Mode) -> None:
        self._mode = mode
        self.push_change_event("mode", mode)


class TopDevice(Device):
    """Runs a hw scan and returns only when the hw device reports Mode.IDLE again."""

    hw_device = device_property(dtype=str, default_value="foo/bar/hw")
    scan_timeout = device_property(dtype=float, default_value=30.0)

    def init_device(self) -> None:
        super().init_device()
        self._hw = DeviceProxy(self.hw_device)
        self.set_state(DevState.ON)

    @command(doc_in=SCAN_DOC)
    def Scan(self) -> None:
        scan_done = _ScanWatcher()
        subscription = self._hw.subscribe_event("mode", EventType.CHANGE_EVENT, scan_done)
        try:
            self._hw.Scan()
            if not scan_done.idle.wait(self.scan_timeout):
                raise RuntimeError("Timeout waiting for Mode.IDLE")
        finally:
            self._hw.unsubscribe_event(subscription)


class _ScanWatcher:
    """Mode callback: IDLE counts only after SCANNING (subscribing delivers the current IDLE)."""

    def __init__(self) -> None:
        self.scanning = False
        self.idle = threading.Event()

    def __call__(self, event: EventData) -> None:
        if event.err:
            return
        mode = Mode(event.attr_value.value)
        if mode == Mode.SCANNING:
            self.scanning = True
        elif mode == Mode.IDLE and self.scanning:
            self.idle.set()


class RogueDevice(Device):
    """Forwards hw position and mode; its position callback sleeps (the tutorial's defect)."""

    hw_device = device_property(dtype=str, default_value="foo/bar/hw")
    position_delay = device_property(dtype=float, default_value=0.3)

    def init_device(self) -> None:
        super().init_device()
        self._position: float | None = None
        self._mode = Mode.IDLE
        self.set_change_event("position", True, False)
        self.set_change_event("mode", True, False)
        self._hw = DeviceProxy(self.hw_device)
        # stateless: keep retrying when the hw server is not up yet
        self._subscriptions = [
            self._hw.subscribe_event(
                "position", EventType.CHANGE_EVENT, self.handle_position, stateless=True
            ),
            self._hw.subscribe_event(
                "mode", EventType.CHANGE_EVENT, self.handle_mode, stateless=True
            ),
        ]
        self.set_state(DevState.ON)

    def delete_device(self) -> None:
        for subscription in self._subscriptions:
            self._hw.unsubscribe_event(subscription)
        self._subscriptions = []

    @attribute(dtype=float)
    def position(self) -> float:
        return 0.0 if self._position is None else self._position

    @attribute(dtype=Mode)
    def mode(self) -> Mode:
        return self._mode

    def handle_position(self, ev: EventData) -> None:
        """Handle position change events."""
        time.sleep(self.position_delay)
        if not ev.err:
            self._position = ev.attr_value.value
            self.push_change_event("position", self._position)
        else:
            self._position = None
            self.push_change_event("position", 0.0, time.time(), AttrQuality.ATTR_INVALID)

    def handle_mode(self, ev: EventData) -> None:
        """Handle mode change events."""
        if not ev.err:
            self._mode = Mode(ev.attr_value.value)
            self.push_change_event("mode", self._mode)


class FixedRogueDevice(RogueDevice):
    """RogueDevice done right: the callback hands the event to a worker thread and returns.

    The slow work (still `position_delay` per value) runs on the worker, so the event thread
    that every device of the server shares stays free; the worker forwards only the latest
    position, so it never falls behind more than one value.
    """

    def init_device(self) -> None:
        self._latest: EventData | None = None
        self._wake = threading.Condition()
        self._running = True
        self._worker = threading.Thread(target=self._forward_positions, daemon=True)
        self._worker.start()
        super().init_device()

    def delete_device(self) -> None:
        super().delete_device()
        with self._wake:
            self._running = False
            self._wake.notify()

    def handle_position(self, ev: EventData) -> None:
        """Keep the newest event and return at once."""
        with self._wake:
            self._latest = ev
            self._wake.notify()

    def _forward_positions(self) -> None:
        with EnsureOmniThread():
            while (event := self._next_event()) is not None:
                super().handle_position(event)  # the slow part, off the event thread

    def _next_event(self) -> EventData | None:
        with self._wake:
            while self._running and self._latest is None:
                self._wake.wait()
            event, self._latest = self._latest, None
            return event if self._running else None
