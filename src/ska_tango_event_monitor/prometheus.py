"""Prometheus exporter: the latest snapshot as metrics, read at scrape time.

The polling loop calls `LatestSnapshot.update` after each poll; `EventSystemCollector` turns
whatever is latest into metric families when Prometheus scrapes (`serve`) or when a node
exporter textfile is written (`write_textfile`). `prometheus_client` (the `prometheus`
extra) is imported only by the functions that need it, so the rest of the package works
without it; `require_prometheus_client` says in one line what to install.

Labels: `server` is the short admin device name (`dserver/MyServer/hw`); `stream` is the
short name of the attribute (of the device for `intr_change`), lower case and without the
event type (`foo/bar/hw/position`); `event_type` is the event type without the subscriber's
`idl5_` wire prefix (`change`, `archive`, `periodic`, `user_event`, `attr_conf`, ...), so a
publisher's `X.change` and its subscribers' `X.idl5_change` carry the same labels;
`publisher` is the admin device that publishes a stream (backlog); `attribute` is the
`attr_name` of a performance sample (cut to 31 characters by cppTango); `side` is `server`
(publisher samples) or `client` (subscriber samples).

Performance samples arrive already aggregated per poll (cppTango returns and clears the
samples since the previous query), so they are exposed as summaries: the quantiles are
those of the samples of the latest poll (the summary's sliding window is the polling
period), `_count` and `_sum` add up every sample this exporter has seen since it started.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ska_tango_event_monitor.flow import Backlog, ServerView, backlogs
from ska_tango_event_monitor.model import EventSystemState, Subscription
from ska_tango_event_monitor.names import short_name
from ska_tango_event_monitor.session import Snapshot, SnapshotReport
from ska_tango_event_monitor.statistics import percentile
from ska_tango_event_monitor.streams import stream_key

DEFAULT_HOST = "127.0.0.1"
QUANTILES = (0.5, 0.9, 0.99)
INSTALL_HINT = "pip install 'ska-tango-event-monitor[prometheus]'"

_EMPTY: Mapping = MappingProxyType({})
_SeriesKey = tuple[str, tuple[str, ...]]  # summary name, label values (server first)


class PrometheusError(Exception):
    """The exporter cannot be set up or written; the message is one line."""


class PrometheusUnavailable(PrometheusError):
    """prometheus_client is not installed (the `prometheus` extra)."""


class AddressError(PrometheusError):
    """A `[HOST:]PORT` that is malformed, or cannot be listened on."""


class TextfileError(PrometheusError):
    """The textfile cannot be written."""


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


# --- the latest state, swapped as one immutable reference --------------------------------


@dataclass(frozen=True)
class ExportState:
    """What the collector renders: the latest poll, and sample totals since start."""

    snapshot: Snapshot | None = None
    up: Mapping[str, bool] = field(default_factory=lambda: _EMPTY)  # by admin device
    states: Mapping[str, EventSystemState] = field(default_factory=lambda: _EMPTY)  # up only
    backlogs: tuple[Backlog, ...] = ()
    observations: Mapping[_SeriesKey, tuple[int, ...]] = field(default_factory=lambda: _EMPTY)
    totals: Mapping[_SeriesKey, tuple[int, int]] = field(default_factory=lambda: _EMPTY)


class LatestSnapshot:
    """Thread-safe holder of the latest state: written by the polling loop, read by scrapes.

    `update` builds a new immutable `ExportState` and swaps one reference; readers take that
    reference once and hold no lock while rendering.
    """

    def __init__(self) -> None:
        self._state = ExportState()
        self._writing = threading.Lock()  # only between concurrent updates

    @property
    def current(self) -> ExportState:
        return self._state

    def update(
        self,
        snapshot: Snapshot,
        report: SnapshotReport,
        states: Mapping[str, EventSystemState],
    ) -> None:
        """After each poll: the snapshot, its report, and the state of each admin device
        (e.g. `session.last_state(admin)`); only servers whose report has no error count."""
        with self._writing:
            self._state = next_state(self._state, snapshot, report, states)


def next_state(
    previous: ExportState,
    snapshot: Snapshot,
    report: SnapshotReport,
    states: Mapping[str, EventSystemState],
) -> ExportState:
    up = {server.admin: server.error is None for server in report.servers}
    current = {admin: states[admin] for admin in sorted(states) if up.get(admin)}
    observed = _observations(current)
    present = {short_name(poll.admin) for poll in snapshot.polls}
    totals = {key: value for key, value in previous.totals.items() if key[1][0] in present}
    for key, values in observed.items():
        count, total = totals.get(key, (0, 0))
        totals[key] = (count + len(values), total + sum(values))
    flows = report.backlogs
    if report.findings is None:  # no analysis: join the streams here
        flows = tuple(backlogs([ServerView(admin, state) for admin, state in current.items()]))
    return ExportState(
        snapshot=snapshot,
        up=MappingProxyType(up),
        states=MappingProxyType(current),
        backlogs=tuple(flows),
        observations=MappingProxyType({k: tuple(sorted(v)) for k, v in observed.items()}),
        totals=MappingProxyType(totals),
    )


def _observations(states: Mapping[str, EventSystemState]) -> dict[_SeriesKey, list[int]]:
    """Microseconds per summary series; discarded events are left out, as in the tables."""
    found: dict[_SeriesKey, list[int]] = {}

    def add(name: str, labels: tuple[str, ...], micros: int | None) -> None:
        if micros is not None:
            found.setdefault((name, labels), []).append(micros)

    for admin, state in states.items():
        server = (short_name(admin),)
        for sample in state.publisher_samples or ():
            add(PUBLISHER_GAP, server, sample.micros_since_last_event)
            add(PUSH, server, sample.push_event_micros)
        for sample in state.subscriber_samples or ():
            if sample.discarded:
                continue
            add(SUBSCRIBER_GAP, server, sample.micros_since_last_event)
            add(SLEEP, server, sample.sleep_micros)
            add(LATENCY, server, sample.first_callback_latency_micros)
            add(PROCESSING, (*server, sample.attr_name), sample.process_micros)
    return found


# --- metric names and help texts ----------------------------------------------------------

LAST_POLL = "tango_event_monitor_last_poll_timestamp_seconds"
UP = "tango_event_server_up"
QUERY_DURATION = "tango_event_server_query_duration_seconds"
PUSHED = "tango_event_pushed_total"
BACKLOG = "tango_event_backlog_events"
PERF_SAMPLES = "tango_event_perf_samples"
PUBLISHER_GAP = "tango_event_publisher_gap_seconds"
PUSH = "tango_event_push_seconds"
SUBSCRIBER_GAP = "tango_event_subscriber_gap_seconds"
SLEEP = "tango_event_sleep_seconds"
LATENCY = "tango_event_callback_latency_seconds"
PROCESSING = "tango_event_processing_seconds"

SERVER = ("server",)
STREAM = ("server", "stream", "event_type")

_RESTART = "rate() handles the reset"
_SAMPLES = (
    "Quantiles over the samples of the latest poll; _count and _sum add up the samples this "
    "exporter received since it started (cppTango keeps at most 256 per poll, and another "
    "client calling QueryEventSystem takes them away). Needs --monitor."
)

HELP = {
    LAST_POLL: "Unix time of the latest QueryEventSystem poll; if it stops moving, the "
    "monitor is stuck and every other series is stale.",
    UP: "1 if the device server's admin device answered QueryEventSystem at the latest poll "
    "with a reply this monitor reads, else 0 (down, hung beyond the timeout, or Tango older "
    "than 10.1); the other series of a server that is down are left out.",
    QUERY_DURATION: "Time the latest QueryEventSystem call to the admin device took; absent "
    "when it did not answer within the timeout.",
    PUSHED: "Last pushed server counter of the stream at its publisher (cppTango's "
    "event_counters value, the next counter, minus one): events pushed while the stream had "
    f"subscribers. Starts again from 0 when the publishing server restarts ({_RESTART}); "
    "stays, frozen, after the last subscriber has gone.",
    "tango_event_last_received_server_counter": "Server counter of the last event this "
    "process received on the stream (event_callbacks server_counter, 0 before any): the "
    "publisher's counter, so it drops when the publisher restarts. Backlog is "
    "tango_event_pushed_total of the publisher minus this.",
    "tango_event_processed_total": "Events received and processed on the stream by this "
    "process, all user callbacks included (event_callbacks event_count; the synchronous "
    f"read at subscribe time is not counted). Resets when this process restarts ({_RESTART}).",
    "tango_event_missed_total": "Gap incidents on the stream (event_callbacks "
    "missed_event_count): jumps in the received server counter, not lost events (one "
    "incident can hide tens of lost events). A publisher-side loss at the ZMQ high-water "
    f"mark: all subscribers of the stream see it. Resets when this process restarts "
    f"({_RESTART}).",
    "tango_event_discarded_total": "Events received twice with the same server counter "
    "(event_callbacks discarded_event_count): +1 for every subscriber when a new consumer "
    f"connects to the publisher; harmless. Resets when this process restarts ({_RESTART}).",
    "tango_event_callbacks_registered": "User callbacks registered on the stream in this "
    "process (event_callbacks callback_count).",
    BACKLOG: "Events pushed but not yet received: the publisher's last pushed server counter "
    "minus the subscriber's last received one, when both servers are monitored. Can be "
    "briefly negative around a publisher restart.",
    PERF_SAMPLES: "Performance samples in the latest reply per side (server: publisher, "
    "client: subscriber); 256 means cppTango's ring was full and older samples were lost.",
    PUBLISHER_GAP: f"Event Gaps at the publisher: time between two pushes. {_SAMPLES}",
    PUSH: f"Push Time: time the publisher took to hand an event to ZMQ. {_SAMPLES}",
    SUBSCRIBER_GAP: "Event Gaps at the subscriber: time between two events taken by the "
    f"event thread. {_SAMPLES}",
    SLEEP: f"Sleep Time: how long the event thread waited for an event. {_SAMPLES}",
    LATENCY: "Latency from the event's timestamp, set by the publisher, to its first "
    "callback (compares two clocks when publisher and subscriber run on two hosts). "
    f"{_SAMPLES}",
    PROCESSING: "Processing Time of an event per attribute, all its user callbacks "
    "included; rate() of _sum is the share of time the event thread is busy. "
    f"{_SAMPLES}",
}

# per subscription: name, kind, value
_SUBSCRIPTION_METRICS: tuple[tuple[str, str, Callable[[Subscription], int]], ...] = (
    ("tango_event_last_received_server_counter", "gauge", lambda s: s.server_counter),
    ("tango_event_processed_total", "counter", lambda s: s.event_count),
    ("tango_event_missed_total", "counter", lambda s: s.missed_event_count),
    ("tango_event_discarded_total", "counter", lambda s: s.discarded_event_count),
    ("tango_event_callbacks_registered", "gauge", lambda s: s.callback_count),
)

_SUMMARIES = (
    (PUBLISHER_GAP, SERVER),
    (PUSH, SERVER),
    (SUBSCRIBER_GAP, SERVER),
    (SLEEP, SERVER),
    (LATENCY, SERVER),
    (PROCESSING, ("server", "attribute")),
)


def stream_labels(name: str) -> tuple[str, str]:
    """(`foo/bar/hw/position`, `change`) of `tango://h:1/foo/bar/hw/position.idl5_change`."""
    stream, _, event_type = stream_key(name).rpartition(".")
    return stream, event_type


# --- the collector ------------------------------------------------------------------------

Rows = Mapping[tuple[str, ...], float]


class EventSystemCollector:
    """A prometheus_client collector over a `LatestSnapshot`; register it in your registry."""

    def __init__(self, latest: LatestSnapshot) -> None:
        self.latest = latest

    def collect(self) -> Iterator[Any]:
        state = self.latest.current  # one reference: a concurrent update does not mix in
        if state.snapshot is None:
            return
        core = require_prometheus_client().core
        yield core.GaugeMetricFamily(LAST_POLL, HELP[LAST_POLL], state.snapshot.time.timestamp())
        yield _family(core.GaugeMetricFamily, UP, SERVER, _up_rows(state))
        yield _family(core.GaugeMetricFamily, QUERY_DURATION, SERVER, _duration_rows(state))
        yield _family(core.CounterMetricFamily, PUSHED, STREAM, _pushed_rows(state))
        for name, kind, value in _SUBSCRIPTION_METRICS:
            make = core.CounterMetricFamily if kind == "counter" else core.GaugeMetricFamily
            yield _family(make, name, STREAM, _subscription_rows(state, value))
        yield _family(
            core.GaugeMetricFamily, BACKLOG, (*STREAM, "publisher"), _backlog_rows(state)
        )
        yield _family(
            core.GaugeMetricFamily, PERF_SAMPLES, ("server", "side"), _sample_rows(state)
        )
        for name, labels in _SUMMARIES:
            yield _summary(core.SummaryMetricFamily, name, labels, state)


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
    servers = {short_name(admin) for admin in state.states}
    for (series, values), (count, total) in sorted(state.totals.items()):
        if series != name or values[0] not in servers:
            continue
        observed = state.observations.get((series, values), ())
        for quantile in QUANTILES if observed else ():
            sample_labels = {**dict(zip(labels, values, strict=True)), "quantile": str(quantile)}
            seconds = round(percentile(observed, quantile * 100) / 1e6, 9)  # to the ns
            family.add_sample(name, sample_labels, seconds)
        family.add_metric(values, count, total / 1e6)
    return family


def _up_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin in sorted(state.up):
        rows.setdefault((short_name(admin),), 1.0 if state.up[admin] else 0.0)
    return rows


def _duration_rows(state: ExportState) -> Rows:
    assert state.snapshot is not None
    polls = sorted(state.snapshot.polls, key=lambda poll: poll.admin)
    rows: dict[tuple[str, ...], float] = {}
    for poll in polls:
        if poll.duration_s is not None and math.isfinite(poll.duration_s):
            rows.setdefault((short_name(poll.admin),), poll.duration_s)
    return rows


def _pushed_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin, server_state in state.states.items():
        for stream in sorted(server_state.publishers):
            labels = (short_name(admin), *stream_labels(stream))
            rows.setdefault(labels, server_state.publishers[stream].last_pushed)
    return rows


def _subscription_rows(state: ExportState, value: Callable[[Subscription], int]) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin, server_state in state.states.items():
        for topic in sorted(server_state.subscriptions):
            labels = (short_name(admin), *stream_labels(topic))
            rows.setdefault(labels, value(server_state.subscriptions[topic]))
    return rows


def _backlog_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for flow in sorted(state.backlogs, key=lambda f: (f.subscriber, f.topic, f.publisher)):
        labels = (short_name(flow.subscriber), *stream_labels(flow.topic))
        rows.setdefault((*labels, short_name(flow.publisher)), flow.events)
    return rows


def _sample_rows(state: ExportState) -> Rows:
    rows: dict[tuple[str, ...], float] = {}
    for admin, server_state in state.states.items():
        for side, samples in (
            ("server", server_state.publisher_samples),
            ("client", server_state.subscriber_samples),
        ):
            if samples is not None:
                rows.setdefault((short_name(admin), side), len(samples))
    return rows


# --- serving and writing -------------------------------------------------------------------


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


@dataclass
class MetricsServer:
    """prometheus_client's HTTP server in its thread; `close` stops it."""

    host: str
    port: int  # the port listened on (chosen by the system when 0 was asked for)
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> MetricsServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


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
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        temporary.write_bytes(client.generate_latest(registry))
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        reason = error.strerror or str(error)
        raise TextfileError(f"cannot write the Prometheus textfile {path}: {reason}") from None
