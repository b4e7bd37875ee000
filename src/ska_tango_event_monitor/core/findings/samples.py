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
        ("server", view.state.publisher_columns),
        ("client", view.state.subscriber_columns),
    ):
        if samples is not None and samples.sample_count >= SAMPLE_RING_SIZE:
            yield Finding(
                Severity.WARNING,
                "samples lost",
                server,
                None,
                f"{side} sample ring full ({samples.sample_count} samples): older samples were "
                "lost; use a shorter --polling-period",
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
            previous.publisher_columns,
            state.publisher_columns,
        ),
        (
            "processed",
            processed_since(diff),
            previous.subscriber_columns,
            state.subscriber_columns,
        ),
    )
    for verb, events, before, columns in sides:
        if before is None or columns is None or columns.sample_count >= SAMPLE_RING_SIZE:
            continue
        samples = columns.sample_count
        if events - samples >= 2 and samples < events / 2:
            yield Finding(
                Severity.WARNING,
                "samples stolen",
                server,
                None,
                f"{events} events {verb} but {samples} performance samples came back: "
                "another client is calling QueryEventSystem on this server",
                magnitude=events - samples,
            )
