"""``TopDevice.Scan()``, called in a background thread and described afterwards."""

from __future__ import annotations

import threading
import time

import tango

from ska_tango_event_monitor.tango.errors import describe_failure
from ska_tango_event_monitor.tutorial.control_system import TOP_DEVICE
from ska_tango_event_monitor.tutorial.device_proxy import proxy

SCAN_CLIENT_TIMEOUT = 60.0
TIMEOUT_ERROR = "Timeout waiting for Mode.IDLE"


class ScanCall(threading.Thread):
    """``TopDevice.Scan()`` with a long client timeout, in a background thread."""

    def __init__(self, tango_host: str, timeout_s: float = SCAN_CLIENT_TIMEOUT) -> None:
        super().__init__(name="TopDevice.Scan", daemon=True)
        self.tango_host = tango_host
        self.timeout_s = timeout_s
        self.started_at = time.monotonic()
        self.duration: float | None = None
        self.error: str | None = None

    def run(self) -> None:
        with tango.EnsureOmniThread():
            self.started_at = time.monotonic()
            try:
                proxy(self.tango_host, TOP_DEVICE, self.timeout_s).command_inout("Scan")
            except Exception as exc:  # reported, never raised in a thread
                self.error = describe_failure(exc, with_reason=False)
            self.duration = time.monotonic() - self.started_at

    @property
    def timed_out_waiting_for_idle(self) -> bool:
        """True if Scan() failed the tutorial's way: Mode.IDLE did not come in time."""
        return self.error is not None and TIMEOUT_ERROR in self.error

    def outcome(self) -> str:
        """One line: how the call ended and how long it took."""
        if self.error is None:
            return f"TopDevice.Scan() succeeded in {self.duration:.2f} s"
        return f"TopDevice.Scan() failed: {self.error} (returned after {self.duration:.2f} s)"
