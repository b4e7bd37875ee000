"""Rules on a subscriber's event thread: saturated, slow to call back, woken by churn.

Each rule judges only from samples that cover the whole time since the poll before (the
first reply after perf monitoring is switched on holds a partial sample), and says so
(an `Unjudged`) when it cannot judge.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from ska_tango_event_monitor.core.findings import pooled
from ska_tango_event_monitor.core.findings.counters import processed_since
from ska_tango_event_monitor.core.findings.judged import (
    FEW_SAMPLES,
    NO_PERF,
    PERF_JUST_ON,
    Unjudged,
)
from ska_tango_event_monitor.core.findings.model import Finding, Severity, Thresholds
from ska_tango_event_monitor.core.findings.pace import Pace
from ska_tango_event_monitor.core.findings.pooled import PollSamples
from ska_tango_event_monitor.core.findings.window import ServerWindow
from ska_tango_event_monitor.core.flow import ServerView
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.statistics import PERCENTILE_MIN_SAMPLES
from ska_tango_event_monitor.core.units import duration

_CULPRITS = 3  # attributes named when the event thread is saturated
Verdict = Iterator[Finding | Unjudged]


def perf_unjudged(view: ServerView, window: ServerWindow, checks: tuple[str, ...]) -> Verdict:
    """Why the sample rules cannot judge this poll, if they cannot."""
    server = view.admin
    if not view.state.subscriptions:  # nothing subscribed: nothing to judge
        return
    if view.state.subscriber_columns is None:
        yield from (Unjudged(check, server, NO_PERF) for check in checks)
    elif not window.latest.covered:
        yield from (Unjudged(check, server, PERF_JUST_ON) for check in checks)


def busy_fraction(view: ServerView, window: ServerWindow) -> tuple[float, str] | None:
    """The share of this poll's wall time spent in callbacks, and how it was measured.

    From time in callbacks against time waiting, while the samples cover most of the poll
    (the sample of the callback running during the query never comes back). A full ring
    covers only the last events of a burst: then the events processed (counters) times the
    mean processing time, over the wall time. None when the samples do not cover the poll.
    """
    elapsed = view.elapsed_s
    if not window.latest.covered or not elapsed or view.diff is None or view.previous is None:
        return None
    samples = view.state.processed_columns
    assert samples is not None  # covered: both replies carry samples
    processing, waiting = sum(samples.process_micros), sum(samples.sleep_micros)
    if not samples.sample_count or processing + waiting == 0:
        return 0.0, "no event processed"
    if (processing + waiting) / 1e6 >= elapsed / 2:
        return processing / (processing + waiting), (
            f"callbacks {processing / 1e6:.1f} s, waiting for events {waiting / 1e6:.1f} s"
        )
    events = processed_since(view.diff)
    mean = processing / samples.sample_count
    return min(events * mean / 1e6 / elapsed, 1.0), (
        f"{events} events x {duration(mean)} in callbacks over {elapsed:.1f} s; "
        f"the {samples.sample_count} samples cover only the last {duration(processing + waiting)}"
    )


def saturation(
    view: ServerView, window: ServerWindow, pace: Pace, limits: Thresholds
) -> Iterator[Finding]:
    measured = busy_fraction(view, window)
    if measured is None or measured[0] < limits.busy_fraction:
        return
    busy, basis = measured
    by_attribute: dict[str, list[int]] = {}
    samples = view.state.processed_columns
    assert samples is not None  # measured: both replies carry samples
    for name, micros in zip(samples.attr_name, samples.process_micros, strict=True):
        by_attribute.setdefault(name, []).append(micros)
    worst = sorted(by_attribute.items(), key=lambda item: (-sum(item[1]), item[0]))[:_CULPRITS]
    culprits = "; ".join(_culprit(view, name, micros, pace) for name, micros in worst)
    yield Finding(
        Severity.WARNING,
        "saturated",
        view.admin,
        None,
        f"event thread busy {busy:.0%} of the time ({basis}); {culprits}",
        magnitude=busy,
    )


def _culprit(view: ServerView, attribute: str, micros: list[int], pace: Pace) -> str:
    """`position 300.6 ms per event x 33, foo/bar/hw/position pushed every ~100 ms`."""
    text = f"{attribute or '?'} {statistics.fmean(micros) / 1e3:.1f} ms per event x {len(micros)}"
    streams = pace.subscribed_streams(view.state, attribute)
    if len(streams) > 1:
        text += f" ({len(streams)} streams of that name)"
    fastest = pace.fastest(streams)
    if fastest is not None:  # the stream's own pace, from its publisher's counter
        stream, per_second = fastest
        text += f", {stream.rpartition('.')[0]} {pace_text(per_second)}"
        if len(streams) > 1:
            text += " (the fastest)"
    return text


def pace_text(per_second: float) -> str:
    """`pushed every ~100 ms` (`~1.5 s`), from the stream's own counter."""
    if per_second <= 0:
        return "not pushed in the last polls"
    every_ms = 1e3 / per_second
    return (
        f"pushed every ~{every_ms:.0f} ms"
        if every_ms < 1e3
        else f"pushed every ~{every_ms / 1e3:.1f} s"
    )


def latency(
    view: ServerView,
    window: ServerWindow,
    limits: Thresholds,
    backlog_events: int,
) -> Verdict:
    """A WARNING only with corroboration: the latency rises over the window, a backlog
    waits at this subscriber, or the event thread never sleeps. cppTango's latency starts
    at the value's timestamp, which the device may set itself, and compares the clocks of
    two hosts: alone, a large number may be neither a delay nor a fault."""
    latencies = pooled.pooled_latencies(window.covered_samples())
    latest = window.latest.samples
    if not len(latencies) or latest is None or not len(latest.latency_s):
        return  # nothing processed lately: no news
    high, label = latency_measure(latencies)
    if high < limits.latency_s:
        return
    measured = (
        f"callback latency {label}, median {pooled.percentile(latencies, 50):.2f} s "
        f"over {window.covered_s():.0f} s of polls"
    )
    evidence = _latency_evidence(view, window, backlog_events, limits)
    server = view.admin
    if evidence:
        yield Finding(
            Severity.WARNING,
            "latency",
            server,
            None,
            f"{measured} ({'; '.join(evidence)}): events wait before their callbacks run",
            magnitude=high,
        )
        return
    yield Finding(
        Severity.INFO,
        "latency",
        server,
        None,
        f"{measured}, but no delay is seen (no backlog, not rising, the event thread "
        "sleeps): the latency starts at the value's timestamp, so a device stamping its "
        "values itself or a clock offset between hosts gives this number",
        magnitude=high,
    )


def _latency_evidence(
    view: ServerView, window: ServerWindow, backlog_events: int, limits: Thresholds
) -> list[str]:
    evidence = []
    medians = [
        samples.latency_median
        for samples in window.covered_samples()
        if samples.latency_median is not None
    ]
    if len(medians) >= 2 and medians[-1] >= 1.5 * medians[0] and medians[-1] - medians[0] >= 0.1:
        evidence.append(f"rising: poll medians {medians[0]:.2f} s -> {medians[-1]:.2f} s")
    if backlog_events >= limits.backlog_events:
        evidence.append(f"{backlog_events} events not yet received")
    measured = busy_fraction(view, window)
    if measured is not None and measured[0] >= limits.busy_fraction:
        evidence.append(f"event thread busy {measured[0]:.0%} of the time")
    return evidence


def latency_measure(latencies: pooled.Array) -> tuple[float, str]:
    """The 90th percentile of the latencies from 10 of them, else the highest; and how
    the finding says it (`p90 1.52 s`, `max 6.11 s (of 1)`); as the tables do."""
    if len(latencies) >= PERCENTILE_MIN_SAMPLES[90]:
        high = pooled.percentile(latencies, 90)
        return high, f"p90 {high:.2f} s"
    top = pooled.maximum(latencies)
    return top, f"max {top:.2f} s (of {len(latencies)})"


def churn(view: ServerView, window: ServerWindow, limits: Thresholds) -> Verdict:
    """Wakes per event over the window; names the topics that come and go, and the effect."""
    samples = window.covered_samples()
    count = sum(poll.processed for poll in samples)
    server = view.admin
    if not view.state.subscriptions:
        return
    if count < limits.min_samples:
        if window.latest.covered:
            yield Unjudged("churn", server, FEW_SAMPLES.format(limits.min_samples))
        return
    # the median: one event after a long quiet spell can see dozens of wakes on its own
    wakes = pooled.pooled_wakes(samples)
    median = pooled.median(wakes)
    if median < limits.wake_count:
        return
    yield Finding(
        Severity.WARNING,
        "churn",
        server,
        None,
        f"event thread woken a median of {median:g} times per event "
        f"(max {pooled.maximum(wakes)}, {count} events in {window.covered_s():.0f} s): "
        "frequent (un)subscriptions "
        f"in this process; {_churned_topics(window)}; {_churn_effect(samples, window, limits)}",
        magnitude=median,
    )


def _churned_topics(window: ServerWindow) -> str:
    """The subscriptions that appear and vanish between polls."""
    seen = window.topics_seen()
    everywhere = set.intersection(*seen) if seen else set()
    flickering = sorted(set[str]().union(*seen) - everywhere)
    if not flickering:
        return "no topic was seen coming and going between polls (too quick to catch)"
    named = ", ".join(
        f"{short_name(topic)} (in {sum(topic in topics for topics in seen)} of {len(seen)} polls)"
        for topic in flickering[:3]
    )
    more = f" and {len(flickering) - 3} more" if len(flickering) > 3 else ""
    return f"coming and going: {named}{more}"


def _churn_effect(samples: list[PollSamples], window: ServerWindow, limits: Thresholds) -> str:
    latencies = pooled.pooled_latencies(samples)
    asleep = sum(poll.sleep_micros for poll in samples) / 1e6 / (window.covered_s() or 1.0)
    if len(latencies):
        high = latency_measure(latencies)[0]
        label = f"{'p90' if len(latencies) >= PERCENTILE_MIN_SAMPLES[90] else 'max'} "
        label += duration(high * 1e6)
    else:
        high, label = 0.0, "not measured"
    effect = f"latency {label}, event thread asleep {min(asleep, 1.0):.0%} of the time"
    if high < limits.latency_s:
        return f"{effect}: no delay measured yet"
    return f"{effect}: events are held up"
