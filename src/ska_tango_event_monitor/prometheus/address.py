"""`--prometheus [HOST:]PORT`: where to serve the metrics."""

from __future__ import annotations

from ska_tango_event_monitor.prometheus.errors import AddressError

DEFAULT_HOST = "127.0.0.1"


def parse_address(text: str) -> tuple[str, int]:
    """(host, port) of `PORT`, `HOST:PORT` or `[IPv6]:PORT`; the host defaults to loopback."""
    host, separator, port_text = text.strip().rpartition(":")
    if not separator:
        host = DEFAULT_HOST
    elif host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif not host or ":" in host:
        raise AddressError(
            f"bad Prometheus address {text!r}: expected [HOST:]PORT, e.g. 9100, "
            "0.0.0.0:9100 or [::1]:9100"
        )
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise AddressError(f"bad Prometheus port in {text!r}: expected a number from 0 to 65535")
    return host, int(port_text)
