"""Rules on the performance samples themselves: lost in a full ring, taken by another client."""

from __future__ import annotations

from collections.abc import Iterator

from ska_tango_event_monitor.core.findings.counters import processed_since, pushed_since
from ska_tango_event_monitor.core.findings.model import Finding, Severity
from ska_tango_event_monitor.core.flow import ServerView
from ska_tango_event_monitor.core.performance import SAMPLE_RING_SIZE


def perf_samples(view: ServerView) -> Iterator[Finding]:
    server = view.admin
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
    previous, state, diff = view.previous, view.state, view.diff
    assert previous is not None and diff is not None
    sides = (
        (
            "pushed",
            pushed_since(diff),
            previous.publisher_samples,
            state.publisher_samples,
        ),
        (
            "processed",
            processed_since(diff),
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
