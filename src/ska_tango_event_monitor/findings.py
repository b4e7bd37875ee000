"""Findings: the reasoning the tutorial does by eye, as rules over consecutive snapshots.

Pure: the `Analyser` sees the good replies of all monitored servers at one snapshot (with
the reply before each) and remembers only what its rules need from earlier snapshots.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from ska_tango_event_monitor.diff import ServerDiff, diff_states
from ska_tango_event_monitor.flow import Backlog, ServerView, StreamRate, backlogs
from ska_tango_event_monitor.flow import processed_rates as processed_rates_of
from ska_tango_event_monitor.flow import pushed_rates as pushed_rates_of
from ska_tango_event_monitor.model import EventSystemState
from ska_tango_event_monitor.names import short_name
from ska_tango_event_monitor.performance import SAMPLE_RING_SIZE
from ska_tango_event_monitor.statistics import percentile
from ska_tango_event_monitor.streams import attribute_name, host_of, is_loopback, stream_key


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Finding:
    severity: Severity
    kind: str
    server: str  # admin device, short
    stream: str | None  # attribute (and event type), short
    message: str  # the evidence, in numbers
    # how bad, within one kind (events behind, seconds of latency, events lost, ...): the
    # summary of a run shows the worst finding of each kind, server and stream
    magnitude: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class Thresholds:
    backlog_events: int = 5  # a backlog this large, seen in two polls in a row
    busy_fraction: float = 0.8  # event thread processing this share of the wall time
    latency_s: float = 1.0  # 90th percentile of the callback latency
    wake_count: float = 2.0  # mean wakes per event: subscription churn
    min_samples: int = 10  # fewer samples than this say too little about churn


@dataclass(frozen=True)
class Analysis:
    pushed_rates: tuple[StreamRate, ...] = ()
    processed_rates: tuple[StreamRate, ...] = ()
    backlogs: tuple[Backlog, ...] = ()
    findings: tuple[Finding, ...] = ()


@dataclass
class _Memory:
    """What the rules remember from earlier snapshots."""

    backlog: dict[tuple[str, str], Backlog] = field(default_factory=dict)
    latency_median: dict[str, float] = field(default_factory=dict)
    peak_pushed_rate: dict[str, float] = field(default_factory=dict)  # by stream key
    push_gap_ms: dict[str, float] = field(default_factory=dict)  # median, by publisher admin
    publisher_of: dict[str, str] = field(default_factory=dict)  # stream key -> admin
    stalled_polls: dict[tuple[str, str], int] = field(default_factory=dict)


class Analyser:
    def __init__(self, thresholds: Thresholds | None = None) -> None:
        self.thresholds = thresholds or Thresholds()
        self._memory = _Memory()

    def analyse(self, views: Sequence[ServerView], failures: dict[str, str]) -> Analysis:
        """Rates, backlogs and findings of one snapshot; `failures` are servers with no reply."""
        pushed = [rate for view in views for rate in pushed_rates_of(view)]
        self._remember_publishers(views, pushed)
        processed = [rate for view in views for rate in processed_rates_of(view)]
        flows = backlogs(views)
        findings = [
            *(
                Finding(Severity.ERROR, "no reply", short_name(a), None, e)
                for a, e in failures.items()
            ),
            *self._backlog_findings(flows, pushed, processed),
            *(f for view in views for f in self._server_findings(view, pushed, processed)),
        ]
        return Analysis(tuple(pushed), tuple(processed), tuple(flows), tuple(findings))

    def _remember_publishers(self, views: Sequence[ServerView], pushed: list[StreamRate]) -> None:
        memory = self._memory
        for rate in pushed:
            key = stream_key(rate.name)
            memory.peak_pushed_rate[key] = max(
                memory.peak_pushed_rate.get(key, 0.0), rate.per_second
            )
        for view in views:
            memory.publisher_of.update((stream_key(s), view.admin) for s in view.state.publishers)
            gaps = [
                s.micros_since_last_event / 1e3
                for s in view.state.publisher_samples or ()
                if s.micros_since_last_event is not None
            ]
            if len(gaps) >= 3:
                memory.push_gap_ms[view.admin] = statistics.median(gaps)

    def _server_findings(
        self, view: ServerView, pushed: list[StreamRate], processed: list[StreamRate]
    ) -> Iterator[Finding]:
        diff = diff_states(view.previous, view.state) if view.previous else None
        yield from _saturation(view, self._memory, self.thresholds)
        yield from self._latency(view)
        yield from _churn(view, self.thresholds)
        yield from _perf_samples(view)
        yield from _not_connected(view)
        yield from _loopback_channels(view)
        if diff is not None:
            yield from _missed_events(view, diff)
            yield from _restarts(view, diff)

    def _backlog_findings(
        self, flows: list[Backlog], pushed: list[StreamRate], processed: list[StreamRate]
    ) -> Iterator[Finding]:
        rates = {rate.name: rate.per_second for rate in processed}
        pushing = {rate.name: rate.per_second for rate in pushed}
        limit = self.thresholds.backlog_events
        stalled: dict[tuple[str, str], int] = {}
        for flow in flows:
            key = (flow.subscriber, flow.topic)
            before = self._memory.backlog.get(key)
            if before is None or before.events <= 0 or flow.events <= 0:
                continue
            stuck = flow.last_received == before.last_received
            stalled[key] = self._memory.stalled_polls.get(key, 0) + 1 if stuck else 0
            if flow.events >= limit and before.events >= limit:
                rate = (rates.get(flow.topic, 0.0), pushing.get(flow.stream, 0.0))
                yield _backlog_finding(flow, before.events, rate, stalled[key])
            elif stuck:
                yield _delayed_finding(flow, flows)
        self._memory.backlog = {(flow.subscriber, flow.topic): flow for flow in flows}
        self._memory.stalled_polls = stalled

    def _latency(self, view: ServerView) -> Iterator[Finding]:
        samples = view.state.subscriber_samples or ()
        latencies = sorted(
            s.first_callback_latency_micros / 1e6
            for s in samples
            if s.first_callback_latency_micros is not None and not s.discarded
        )
        if not latencies:
            return
        median, p90 = percentile(latencies, 50), percentile(latencies, 90)
        before = self._memory.latency_median.get(view.admin)
        self._memory.latency_median[view.admin] = median
        if p90 < self.thresholds.latency_s:
            return
        trend = f", rising from a median of {before:.2f} s" if before and median > before else ""
        yield Finding(
            Severity.WARNING,
            "latency",
            short_name(view.admin),
            None,
            f"callback latency p90 {p90:.2f} s, median {median:.2f} s{trend}: "
            "events wait in the queue before their callbacks run",
            magnitude=p90,
        )


def _backlog_finding(
    flow: Backlog, before: int, rates: tuple[float, float], stalled_polls: int
) -> Finding:
    """`rates`: events per second processed by the subscriber and pushed by the publisher."""
    processing, pushing = rates
    change = flow.events - before
    trend = f"growing (+{change})" if change > 0 else ("shrinking" if change < 0 else "steady")
    if processing > 0 and pushing > processing:
        drain = f"falling behind: {processing:.1f} events/s processed, {pushing:.1f} pushed"
    elif processing > 0:
        drain = f"drains in ~{flow.events / processing:.0f} s at {processing:.1f} events/s"
    else:
        drain = (
            f"nothing received for {stalled_polls} poll(s): a callback still running, an event "
            "thread stuck, or events lost (a loss shows only when the next event arrives)"
        )
    return Finding(
        Severity.ERROR if stalled_polls >= 2 else Severity.WARNING,
        "backlog",
        short_name(flow.subscriber),
        _stream_label(flow.topic),
        f"{flow.events} events pushed by {short_name(flow.publisher)} not yet received "
        f"(last pushed {flow.last_pushed}, last received {flow.last_received}), "
        f"{trend}; {drain}",
        magnitude=flow.events,
    )


def _delayed_finding(flow: Backlog, flows: list[Backlog]) -> Finding:
    """A stream with few events, none received for a whole poll: what the tutorial's
    TopDevice suffered (its Mode.IDLE queued behind the position events)."""
    ahead = [
        f"{other.events} events of {attribute_name(other.topic)}"
        for other in flows
        if other.subscriber == flow.subscriber
        and other.publisher == flow.publisher
        and other.topic != flow.topic
        and other.events > flow.events
    ]
    behind = f"; queued behind {', '.join(ahead)} from the same publisher" if ahead else ""
    return Finding(
        Severity.WARNING,
        "delayed",
        short_name(flow.subscriber),
        _stream_label(flow.topic),
        f"{flow.events} event(s) pushed by {short_name(flow.publisher)} and not received "
        f"since the last poll (last pushed {flow.last_pushed}, last received "
        f"{flow.last_received}){behind}",
        magnitude=flow.events,
    )


def _saturation(view: ServerView, memory: _Memory, limits: Thresholds) -> Iterator[Finding]:
    samples = [s for s in view.state.subscriber_samples or () if not s.discarded]
    processing = sum(s.process_micros for s in samples)
    waiting = sum(s.sleep_micros for s in samples)
    if not samples or processing + waiting == 0:
        return
    busy, basis = _busy_fraction(view, processing, waiting, len(samples))
    if busy < limits.busy_fraction:
        return
    by_attribute: dict[str, list[int]] = {}
    for sample in samples:
        by_attribute.setdefault(sample.attr_name, []).append(sample.process_micros)
    worst = sorted(by_attribute.items(), key=lambda item: -sum(item[1]))[:3]
    culprits = "; ".join(_culprit(view, name, micros, memory) for name, micros in worst)
    yield Finding(
        Severity.WARNING,
        "saturated",
        short_name(view.admin),
        None,
        f"event thread busy {busy:.0%} of the time ({basis}); {culprits}",
        magnitude=busy,
    )


def _busy_fraction(
    view: ServerView, processing: int, waiting: int, samples: int
) -> tuple[float, str]:
    """Time in callbacks against time waiting for events, while the samples cover most of
    the poll (the sample of the callback running during the query never comes back, so
    the wall time would undercount). A full ring covers only the last events of a burst:
    then the events processed times the mean processing time, over the wall time."""
    covered_s = (processing + waiting) / 1e6
    if view.previous is None or not view.elapsed_s or covered_s >= view.elapsed_s / 2:
        busy = processing / (processing + waiting)
        return (
            busy,
            f"callbacks {processing / 1e6:.1f} s, waiting for events {waiting / 1e6:.1f} s",
        )
    events = _processed_since(view.previous, view.state)
    mean = processing / samples
    busy = min(events * mean / 1e6 / view.elapsed_s, 1.0)
    return busy, (
        f"{events} events x {_duration(mean)} in callbacks over {view.elapsed_s:.1f} s; "
        f"the {samples} samples cover only the last {_duration(processing + waiting)}"
    )


def _duration(micros: float) -> str:
    if micros < 1e3:
        return f"{micros:.1f} µs"
    return f"{micros / 1e3:.1f} ms" if micros < 1e6 else f"{micros / 1e6:.1f} s"


def _culprit(view: ServerView, attribute: str, micros: list[int], memory: _Memory) -> str:
    """`position 300.6 ms per event x 33, foo/bar/hw/position pushed every ~100 ms`."""
    text = f"{attribute or '?'} {statistics.fmean(micros) / 1e3:.1f} ms per event x {len(micros)}"
    keys = [
        key
        for key in map(stream_key, view.state.subscriptions)
        if key.rpartition(".")[0].rpartition("/")[2] == attribute.lower()
    ]
    for key in keys:  # the publisher's own median gap between pushes, when it is sampled
        if (gap := memory.push_gap_ms.get(memory.publisher_of.get(key, ""))) is not None:
            every = f"{gap:.0f} ms" if gap >= 1 else _duration(gap * 1e3)
            return text + f", {key.rpartition('.')[0]} pushed every ~{every}"
    rated = [key for key in keys if key in memory.peak_pushed_rate]
    if rated:  # else the highest rate seen over a whole poll period
        fastest = max(rated, key=memory.peak_pushed_rate.__getitem__)
        rate = memory.peak_pushed_rate[fastest]
        text += f", {fastest.rpartition('.')[0]} pushed at up to {rate:.1f} events/s"
    return text


def _churn(view: ServerView, limits: Thresholds) -> Iterator[Finding]:
    wakes = [s.wake_count for s in view.state.subscriber_samples or ()]
    if len(wakes) < limits.min_samples:
        return
    mean = statistics.fmean(wakes)
    if mean >= limits.wake_count:
        yield Finding(
            Severity.WARNING,
            "churn",
            short_name(view.admin),
            None,
            f"event thread woken {mean:.1f} times per event (max {max(wakes)}): "
            "frequent (un)subscriptions in this process hold up event processing",
            magnitude=mean,
        )


def _perf_samples(view: ServerView) -> Iterator[Finding]:
    server = short_name(view.admin)
    for side, samples in (
        ("server", view.state.publisher_samples),
        ("client", view.state.subscriber_samples),
    ):
        if samples is not None and len(samples) >= SAMPLE_RING_SIZE:
            yield Finding(
                Severity.WARNING,
                "samples lost",
                server,
                None,
                f"{side} sample ring full ({len(samples)} samples): older samples were lost; "
                "use a shorter --polling-period",
            )
    if view.previous is not None:
        yield from _samples_stolen(view, server)


def _samples_stolen(view: ServerView, server: str) -> Iterator[Finding]:
    """Far fewer samples than events. One missing sample is normal: cppTango does not
    return the sample of the callback that runs while QueryEventSystem is called."""
    previous, state = view.previous, view.state
    assert previous is not None
    sides = (
        (
            "pushed",
            _pushed_since(previous, state),
            previous.publisher_samples,
            state.publisher_samples,
        ),
        (
            "processed",
            _processed_since(previous, state),
            previous.subscriber_samples,
            state.subscriber_samples,
        ),
    )
    for verb, events, before, samples in sides:
        if before is None or samples is None or len(samples) >= SAMPLE_RING_SIZE:
            continue
        if events - len(samples) >= 2 and len(samples) < events / 2:
            yield Finding(
                Severity.WARNING,
                "samples stolen",
                server,
                None,
                f"{events} events {verb} but {len(samples)} performance samples came back: "
                "another client is calling QueryEventSystem on this server",
                magnitude=events - len(samples),
            )


def _pushed_since(previous: EventSystemState, state: EventSystemState) -> int:
    return sum(
        max(p.next_counter - previous.publishers[s].next_counter, 0)
        for s, p in state.publishers.items()
        if s in previous.publishers
    )


def _processed_since(previous: EventSystemState, state: EventSystemState) -> int:
    return sum(
        max(sub.event_count - previous.subscriptions[t].event_count, 0)
        for t, sub in state.subscriptions.items()
        if t in previous.subscriptions
    )


def _not_connected(view: ServerView) -> Iterator[Finding]:
    for entry in view.state.not_connected:
        yield Finding(
            Severity.WARNING,
            "not connected",
            short_name(view.admin),
            f"{short_name(entry.device)}/{entry.attribute}.{entry.event_type}",
            f"subscription not connected (last heartbeat {entry.last_heartbeat}): "
            "the publisher is unreachable; the keep-alive thread retries every 10 s",
        )


def _loopback_channels(view: ServerView) -> Iterator[Finding]:
    for channel, endpoint in view.state.event_channels.items():
        host = endpoint.removeprefix("tcp://").rsplit(":", 1)[0]
        tango_host = host_of(channel)
        if is_loopback(host) and tango_host and not is_loopback(tango_host):
            yield Finding(
                Severity.INFO,
                "loopback endpoint",
                short_name(view.admin),
                short_name(channel),
                f"events come from {endpoint}, a loopback address: they reach subscribers "
                "on the publisher's own host only",
            )


def _missed_events(view: ServerView, diff: ServerDiff) -> Iterator[Finding]:
    for change in diff.changed_subscriptions:
        missed = change.missed_events
        if missed is None or missed.delta <= 0:
            continue
        counter, processed = change.last_received, change.events_processed
        lost, estimate = "", 0
        if counter and not counter.went_back:
            estimate = max(counter.delta - (processed.delta if processed else 0), 0)
            lost = f"; about {estimate} events lost"
        yield Finding(
            Severity.ERROR,
            "missed events",
            short_name(view.admin),
            _stream_label(change.topic),
            f"{missed.delta} gap(s) in the server counter detected{lost} "
            "(publisher-side loss at the ZMQ high-water mark, all subscribers lose the same)",
            magnitude=estimate or missed.delta,
        )


def _restarts(view: ServerView, diff: ServerDiff) -> Iterator[Finding]:
    server = short_name(view.admin)
    for publisher in diff.removed_publishers:
        yield Finding(
            Severity.WARNING,
            "restart",
            server,
            _stream_label(publisher.stream),
            f"the stream vanished from its publisher (last pushed {publisher.last_pushed}): "
            "cppTango keeps a stream as long as the process lives, so this server restarted",
        )
    for change in diff.published:
        if change.last_pushed.went_back:
            yield Finding(
                Severity.WARNING,
                "restart",
                server,
                _stream_label(change.stream),
                f"publisher counter went back {change.last_pushed.before} -> "
                f"{change.last_pushed.after}: this server restarted",
            )
    for sub in diff.changed_subscriptions:
        if sub.last_received and sub.last_received.went_back:
            yield Finding(
                Severity.INFO,
                "resubscribed",
                server,
                _stream_label(sub.topic),
                f"last received counter went back {sub.last_received.before} -> "
                f"{sub.last_received.after}: the publisher restarted and the subscription resumed",
            )


def _stream_label(name: str) -> str:
    """`foo/bar/hw/position.change` for either side of the stream."""
    return stream_key(name)
