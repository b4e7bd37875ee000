"""The Prometheus exporter (see `collector`); the only package that imports prometheus_client."""

from ska_tango_event_monitor.prometheus import collector as _collector
from ska_tango_event_monitor.prometheus.collector import *  # noqa: F403  (its __all__)

__all__ = _collector.__all__
