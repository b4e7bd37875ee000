"""Rules on a subscriber's event thread: saturated, slow to call back, woken by churn."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from ska_tango_event_monitor.findings.counters import processed_since
from ska_tango_event_monitor.findings.memory import Memory
from ska_tango_event_monitor.findings.model import Finding, Severity, Thresholds
from ska_tango_event_monitor.flow import ServerView
from ska_tango_event_monitor.names import short_name
from ska_tango_event_monitor.statistics import percentile
from ska_tango_event_monitor.streams import stream_key

_CULPRITS = 3  # attributes named when the event thread is saturated


def saturation(view: ServerView, memory: Memory, limits: Thresholds) -> Iterator[Finding]:
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
    worst = sorted(by_attribute.items(), key=lambda item: -sum(item[1]))[:_CULPRITS]
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
    events = processed_since(view.previous, view.state)
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


def _culprit(view: ServerView, attribute: str, micros: list[int], memory: Memory) -> str:
    """`position 300.6 ms per event x 33, foo/bar/hw/position pushed every ~100 ms`."""
    text = f"{attribute or '?'} {statistics.fmean(micros) / 1e3:.1f} ms per event x {len(micros)}"
    keys = [
        key
        for key in map(stream_key, view.state.subscriptions)
        if _same_attribute(key.rpartition(".")[0].rpartition("/")[2], attribute)
    ]
    for key in keys:  # the publisher's median gap between pushes: its fastest stream's pace
        publisher = memory.publisher_of.get(key, "")
        gap = memory.push_gap_ms.get(publisher)
        if gap is not None and key == memory.fastest_stream(publisher):
            every = f"{gap:.0f} ms" if gap >= 1 else _duration(gap * 1e3)
            return text + f", {key.rpartition('.')[0]} pushed every ~{every}"
    rated = [key for key in keys if key in memory.peak_pushed_rate]
    if rated:  # else the highest rate seen over a whole poll period
        fastest = max(rated, key=memory.peak_pushed_rate.__getitem__)
        rate = memory.peak_pushed_rate[fastest]
        text += f", {fastest.rpartition('.')[0]} pushed at up to {rate:.1f} events/s"
    return text


def latency(view: ServerView, memory: Memory, limits: Thresholds) -> Iterator[Finding]:
    samples = view.state.subscriber_samples or ()
    latencies = sorted(
        s.first_callback_latency_micros / 1e6
        for s in samples
        if s.first_callback_latency_micros is not None and not s.discarded
    )
    if not latencies:
        return
    median = percentile(latencies, 50)
    # the 90th percentile from 10 samples, as in the tables; from fewer, the highest
    high, label = latency_measure(latencies)
    before = memory.latency_median.get(view.admin)
    memory.latency_median[view.admin] = median
    if high < limits.latency_s:
        return
    trend = f", rising from a median of {before:.2f} s" if before and median > before else ""
    yield Finding(
        Severity.WARNING,
        "latency",
        short_name(view.admin),
        None,
        f"callback latency {label}, median {median:.2f} s{trend}: "
        "events wait in the queue before their callbacks run",
        magnitude=high,
    )


def latency_measure(ordered: list[float]) -> tuple[float, str]:
    """The 90th percentile of sorted latencies from 10 of them, else the highest; and how
    the finding says it (`p90 1.52 s`, `max 6.11 s (of 1)`)."""
    if len(ordered) >= 10:
        high = percentile(ordered, 90)
        return high, f"p90 {high:.2f} s"
    return ordered[-1], f"max {ordered[-1]:.2f} s (of {len(ordered)})"


def churn(view: ServerView, limits: Thresholds) -> Iterator[Finding]:
    wakes = [s.wake_count for s in view.state.subscriber_samples or ()]
    if len(wakes) < limits.min_samples:
        return
    # the median: one event after a long quiet spell can see dozens of wakes on its own
    median = statistics.median(wakes)
    if median >= limits.wake_count:
        yield Finding(
            Severity.WARNING,
            "churn",
            short_name(view.admin),
            None,
            f"event thread woken a median of {median:g} times per event (max {max(wakes)}): "
            "frequent (un)subscriptions in this process hold up event processing",
            magnitude=median,
        )


# cppTango cuts the attribute name of a sample to 31 characters
_SAMPLE_NAME_LENGTH = 31


def _same_attribute(full: str, sampled: str) -> bool:
    if len(sampled) >= _SAMPLE_NAME_LENGTH:
        return full.startswith(sampled.lower())
    return full == sampled.lower()
