"""Clients of the tutorial's devices."""

from __future__ import annotations

import tango


def proxy(tango_host: str, device: str, timeout_s: float) -> tango.DeviceProxy:
    """A client of ``device`` in the database at ``tango_host``, with a client timeout."""
    device_proxy = tango.DeviceProxy(f"tango://{tango_host}/{device}")
    device_proxy.set_timeout_millis(int(timeout_s * 1000))
    return device_proxy
