"""What can go wrong setting up or writing the Prometheus exporter; each message is one line."""

from __future__ import annotations


class PrometheusError(Exception):
    """The exporter cannot be set up or written; the message is one line."""


class PrometheusUnavailable(PrometheusError):
    """prometheus_client is not installed (the `prometheus` extra)."""


class AddressError(PrometheusError):
    """A `[HOST:]PORT` that is malformed, or cannot be listened on."""


class TextfileError(PrometheusError):
    """The textfile cannot be written."""
