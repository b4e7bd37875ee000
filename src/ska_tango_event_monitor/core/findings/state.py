"""Rules on one server's reply and its change since the last: missed events, restarts,
events published on a loopback address (subscriptions that get nothing: `silent`)."""

from __future__ import annotations

from collections.abc import Iterator

from ska_tango_event_monitor.core.diff import ServerDiff
from ska_tango_event_monitor.core.findings.model import Finding, Severity, stream_label
from ska_tango_event_monitor.core.flow import ServerView
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.streams import host_of, is_loopback


def loopback_channels(view: ServerView) -> Iterator[Finding]:
    for channel, endpoint in view.state.event_channels.items():
        host = endpoint.removeprefix("tcp://").rsplit(":", 1)[0]
        tango_host = host_of(channel)
        if is_loopback(host) and tango_host and not is_loopback(tango_host):
            yield Finding(
                Severity.INFO,
                "loopback endpoint",
                view.admin,
                short_name(channel),
                f"events come from {endpoint}, a loopback address: they reach subscribers "
                "on the publisher's own host only",
            )


def missed_events(view: ServerView, diff: ServerDiff) -> Iterator[Finding]:
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
            view.admin,
            stream_label(change.topic),
            f"{missed.delta} gap(s) in the server counter detected{lost} "
            "(lost at the publisher's ZMQ high-water mark for this subscriber; other "
            "subscribers of the stream may lose other events: compare their counters)",
            magnitude=estimate or missed.delta,
        )


def restarts(view: ServerView, diff: ServerDiff) -> Iterator[Finding]:
    server = view.admin
    yield from _vanished_streams(server, diff)
    yield from _publisher_counters_back(server, diff)
    yield from _received_counters_back(server, diff)


def _vanished_streams(server: str, diff: ServerDiff) -> Iterator[Finding]:
    for publisher in diff.removed_publishers:
        yield Finding(
            Severity.WARNING,
            "restart",
            server,
            stream_label(publisher.stream),
            f"the stream vanished from its publisher (last pushed {publisher.last_pushed}): "
            "cppTango keeps a stream as long as the process lives, so this server restarted",
        )


def _publisher_counters_back(server: str, diff: ServerDiff) -> Iterator[Finding]:
    for change in diff.published:
        if change.last_pushed.went_back:
            yield Finding(
                Severity.WARNING,
                "restart",
                server,
                stream_label(change.stream),
                f"publisher counter went back {change.last_pushed.before} -> "
                f"{change.last_pushed.after}: this server restarted",
            )


def _received_counters_back(server: str, diff: ServerDiff) -> Iterator[Finding]:
    for sub in diff.changed_subscriptions:
        if sub.last_received and sub.last_received.went_back:
            yield Finding(
                Severity.INFO,
                "resubscribed",
                server,
                stream_label(sub.topic),
                f"last received counter went back {sub.last_received.before} -> "
                f"{sub.last_received.after}: the publisher restarted and the subscription resumed",
            )
