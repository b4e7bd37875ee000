"""Prometheus exporter: the latest snapshot as metrics, read at scrape time.

The polling loop calls `LatestSnapshot.update` after each poll; `EventSystemCollector` turns
whatever is latest into metric families when Prometheus scrapes (`serve`) or when a node
exporter textfile is written (`write_textfile`). `prometheus_client` (the `prometheus`
extra) is imported only by the functions that need it, so the rest of the package works
without it; `require_prometheus_client` says in one line what to install. This module is
the only one that touches prometheus_client: the state (`metrics_state`), the series
(`metrics_rows`) and the names and help texts (`metrics_names`) are pure.

Labels: `server` is the short admin device name (`dserver/MyServer/hw`); `tango_host` the
Tango database it belongs to (`host:port`, empty for a server without database), so two
control systems with servers of the same names never merge; `stream` is the
short name of the attribute (of the device for `intr_change`), lower case and without the
event type (`foo/bar/hw/position`); `event_type` is the event type without the subscriber's
`idl5_` wire prefix (`change`, `archive`, `periodic`, `user_event`, `attr_conf`, ...), so a
publisher's `X.change` and its subscribers' `X.idl5_change` carry the same labels;
`publisher` is the admin device that publishes a stream (backlog, lag, verdict),
`publisher_tango_host` its database; `verdict` a stream's verdict by its `Verdict` name
(`OK`, `FALLING_BEHIND`, ...), one series per verdict as an OpenMetrics StateSet has one per
state (named `verdict` rather than after the metric, for PromQL); `attribute` is the
`attr_name` of a performance sample (cut to 31 characters by cppTango); `side` is `server`
(publisher samples) or `client` (subscriber samples).

Performance samples arrive already aggregated per poll (cppTango returns and clears the
samples since the previous query), so they are exposed as summaries: the quantiles are
those of the samples of the latest poll (the summary's sliding window is the polling
period), `_count` and `_sum` add up every sample this exporter has seen since it started.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ska_tango_event_monitor.files import cannot_write, replace_atomically
from ska_tango_event_monitor.prometheus.address import DEFAULT_HOST, parse_address
from ska_tango_event_monitor.prometheus.errors import (
    AddressError,
    PrometheusError,
    PrometheusUnavailable,
    TextfileError,
)
from ska_tango_event_monitor.prometheus.names import (
    BACKLOG,
    BACKLOG_LABELS,
    CHECK_JUDGED,
    CHECK_LABELS,
    FINDING,
    FINDING_LABELS,
    HELP,
    LAST_POLL,
    LATENCY,
    PERF_SAMPLE_LABELS,
    PERF_SAMPLES,
    PROCESSING,
    PUBLISHER_GAP,
    PUSH,
    PUSHED,
    QUANTILES,
    QUERY_DURATION,
    SERVER,
    SLEEP,
    STREAM,
    STREAM_LAG,
    STREAM_LAG_AT_LEAST,
    STREAM_VERDICT,
    SUBSCRIBER_GAP,
    SUBSCRIPTION_METRICS,
    SUMMARIES,
    UP,
    VERDICT_LABELS,
)
from ska_tango_event_monitor.prometheus.rows import (
    Rows,
    backlog_rows,
    check_rows,
    duration_rows,
    finding_rows,
    lag_at_least_rows,
    lag_rows,
    pushed_rows,
    sample_rows,
    stream_labels,
    subscription_rows,
    summary_rows,
    up_rows,
    verdict_rows,
)
from ska_tango_event_monitor.prometheus.server import MetricsServer
from ska_tango_event_monitor.prometheus.state import ExportState, LatestSnapshot, next_state

__all__ = [
    "BACKLOG",
    "DEFAULT_HOST",
    "HELP",
    "INSTALL_HINT",
    "LAST_POLL",
    "LATENCY",
    "PERF_SAMPLES",
    "PROCESSING",
    "PUBLISHER_GAP",
    "PUSH",
    "PUSHED",
    "QUANTILES",
    "QUERY_DURATION",
    "SERVER",
    "SLEEP",
    "STREAM",
    "STREAM_LAG",
    "STREAM_LAG_AT_LEAST",
    "STREAM_VERDICT",
    "SUBSCRIBER_GAP",
    "UP",
    "AddressError",
    "EventSystemCollector",
    "ExportState",
    "LatestSnapshot",
    "MetricsServer",
    "PrometheusError",
    "PrometheusUnavailable",
    "Rows",
    "TextfileError",
    "make_registry",
    "next_state",
    "parse_address",
    "require_prometheus_client",
    "serve",
    "stream_labels",
    "write_textfile",
]

INSTALL_HINT = "pip install 'ska-tango-event-monitor[prometheus]'"


def require_prometheus_client() -> Any:
    """The prometheus_client module; PrometheusUnavailable if the extra is not installed."""
    try:
        import prometheus_client
        import prometheus_client.core
    except ImportError:
        raise PrometheusUnavailable(
            f"the Prometheus exporter needs prometheus_client: {INSTALL_HINT}"
        ) from None
    return prometheus_client


class EventSystemCollector:
    """A prometheus_client collector over a `LatestSnapshot`; register it in your registry."""

    def __init__(self, latest: LatestSnapshot) -> None:
        self.latest = latest

    def collect(self) -> Iterator[Any]:
        state = self.latest.current  # one reference: a concurrent update does not mix in
        if state.snapshot is None:
            return
        core = require_prometheus_client().core
        gauge, counter = core.GaugeMetricFamily, core.CounterMetricFamily
        yield gauge(LAST_POLL, HELP[LAST_POLL], state.snapshot.time.timestamp())
        yield _family(gauge, UP, SERVER, up_rows(state))
        yield _family(gauge, QUERY_DURATION, SERVER, duration_rows(state))
        yield _family(counter, PUSHED, STREAM, pushed_rows(state))
        for name, kind, value in SUBSCRIPTION_METRICS:
            make = counter if kind == "counter" else gauge
            yield _family(make, name, STREAM, subscription_rows(state, value))
        yield _family(gauge, BACKLOG, BACKLOG_LABELS, backlog_rows(state))
        yield _family(gauge, STREAM_LAG, BACKLOG_LABELS, lag_rows(state))
        yield _family(gauge, STREAM_LAG_AT_LEAST, BACKLOG_LABELS, lag_at_least_rows(state))
        yield _family(gauge, STREAM_VERDICT, VERDICT_LABELS, verdict_rows(state))
        yield _family(gauge, PERF_SAMPLES, PERF_SAMPLE_LABELS, sample_rows(state))
        for name, labels in SUMMARIES:
            yield _summary(core.SummaryMetricFamily, name, labels, state)
        yield _family(gauge, FINDING, FINDING_LABELS, finding_rows(state))
        yield _family(gauge, CHECK_JUDGED, CHECK_LABELS, check_rows(state))


def make_registry(latest: LatestSnapshot) -> Any:
    """A new CollectorRegistry holding only an `EventSystemCollector` over `latest`."""
    registry = require_prometheus_client().CollectorRegistry()
    registry.register(EventSystemCollector(latest))
    return registry


def _family(make: Any, name: str, labels: tuple[str, ...], rows: Rows) -> Any:
    family = make(name, HELP[name], labels=labels)
    for values in sorted(rows):
        family.add_metric(values, rows[values])
    return family


def _summary(make: Any, name: str, labels: tuple[str, ...], state: ExportState) -> Any:
    family = make(name, HELP[name], labels=labels)
    for row in summary_rows(state, name):
        for quantile, seconds in row.quantiles:
            sample_labels = {
                **dict(zip(labels, row.labels, strict=True)),
                "quantile": str(quantile),
            }
            family.add_sample(name, sample_labels, seconds)
        family.add_metric(row.labels, row.count, row.sum_s)
    return family


def serve(address: str, registry: Any) -> MetricsServer:
    """Serve `registry` at http://HOST:PORT/metrics (`--prometheus [HOST:]PORT`)."""
    host, port = parse_address(address)
    client = require_prometheus_client()
    try:
        server, thread = client.start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        reason = error.strerror or str(error)
        raise AddressError(f"cannot serve Prometheus metrics on {address}: {reason}") from None
    return MetricsServer(host, server.server_address[1], server, thread)


def write_textfile(path: str | Path, registry: Any) -> None:
    """Write `registry` for node exporter's textfile collector (`--prometheus-textfile`).

    Atomic: written to a hidden temporary file in the same folder, then renamed over `path`,
    so a reader sees the old file or the new one, never half of one. The textfile collector
    reads only files ending in `.prom`.
    """
    client = require_prometheus_client()
    path = Path(path)
    try:
        replace_atomically(path, client.generate_latest(registry))
    except OSError as error:
        raise TextfileError(cannot_write("metrics textfile", path, error)) from None
