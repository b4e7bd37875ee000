"""Rules on the flow between servers: events pushed by a publisher, not yet received."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from ska_tango_event_monitor.core.findings.memory import Memory
from ska_tango_event_monitor.core.findings.model import Finding, Severity, stream_label
from ska_tango_event_monitor.core.flow import Backlog, StreamRate
from ska_tango_event_monitor.core.health import StreamHealth, Verdict, lag_text
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.streams import attribute_name


def backlog_findings(
    flows: list[Backlog],
    pushed: list[StreamRate],
    processed: list[StreamRate],
    memory: Memory,
    limit: int,
) -> Iterator[Finding]:
    """A backlog of `limit` events or more in two polls in a row, or a stream with fewer
    events that received nothing for a whole poll; `memory` keeps the flows for the next."""
    # by server and name: two subscriber processes of one stream share its topic name
    rates = {(rate.server, rate.name): rate.per_second for rate in processed}
    pushing = {(rate.server, rate.name): rate.per_second for rate in pushed}
    stalled: dict[tuple[str, str], int] = {}
    for flow in flows:
        key = (flow.subscriber, flow.topic)
        before = memory.backlog.get(key)
        if before is None or before.events <= 0 or flow.events <= 0:
            continue
        stuck = flow.last_received == before.last_received
        stalled[key] = memory.stalled_polls.get(key, 0) + 1 if stuck else 0
        if flow.events >= limit and before.events >= limit:
            rate = (
                rates.get((flow.subscriber, flow.topic), 0.0),
                pushing.get((flow.publisher, flow.stream), 0.0),
            )
            yield _backlog_finding(flow, before.events, rate, stalled[key])
        elif stuck:
            yield _delayed_finding(flow, flows)
    memory.backlog = {(flow.subscriber, flow.topic): flow for flow in flows}
    memory.stalled_polls = stalled


def _backlog_finding(
    flow: Backlog, before: int, rates: tuple[float, float], stalled_polls: int
) -> Finding:
    """`rates`: events per second processed by the subscriber and pushed by the publisher."""
    change = flow.events - before
    trend = f"growing (+{change})" if change > 0 else ("shrinking" if change < 0 else "steady")
    return Finding(
        Severity.ERROR if stalled_polls >= 2 else Severity.WARNING,
        "backlog",
        flow.subscriber,
        stream_label(flow.topic),
        f"{flow.events} events pushed by {short_name(flow.publisher)} not yet received "
        f"(last pushed {flow.last_pushed}, last received {flow.last_received}), "
        f"{trend}; {_drain(flow, rates, stalled_polls, change > 0)}",
        magnitude=flow.events,
    )


def _drain(flow: Backlog, rates: tuple[float, float], stalled_polls: int, growing: bool) -> str:
    """Whether the subscriber keeps up, and when the backlog would be gone: a drain time
    only from the subscriber's own processing rate, and never for a growing backlog."""
    processing, pushing = rates
    if processing > 0 and (pushing > processing or growing):
        return f"falling behind: {processing:.1f} events/s processed, {pushing:.1f} pushed"
    if processing > 0:
        return f"drains in ~{flow.events / processing:.0f} s at {processing:.1f} events/s"
    return (
        f"nothing received for {stalled_polls} poll(s): a callback still running, an event "
        "thread stuck, or events lost (a loss shows only when the next event arrives)"
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
        flow.subscriber,
        stream_label(flow.topic),
        f"{flow.events} event(s) pushed by {short_name(flow.publisher)} and not received "
        f"since the last poll (last pushed {flow.last_pushed}, last received "
        f"{flow.last_received}){behind}",
        magnitude=flow.events,
    )


def with_health(findings: Iterable[Finding], health: Iterable[StreamHealth]) -> list[Finding]:
    """The backlog and delayed findings in seconds, with their stream's verdict; one finding
    for a FALLING BEHIND or STALLED stream that has none (one per stream, not per check)."""
    streams = {(h.subscriber, h.label): h for h in health}
    found, told = [], set()
    for finding in findings:
        stream = streams.get((finding.server, finding.stream or ""))
        if stream is not None and finding.kind in ("backlog", "delayed"):
            told.add((stream.subscriber, stream.label))
            # `... not yet received (14.2 s behind; last pushed ...`: the lag beside the count
            lag = lag_text(stream.lag_s, stream.lag_at_least)
            verdict = f"; {stream.verdict}: {stream.reason}" if _bad(stream) else ""
            message = finding.message.replace(" (last pushed", f" ({lag}; last pushed", 1)
            finding = replace(finding, message=f"{message}{verdict}")
        found.append(finding)
    for stream in streams.values():
        if not stream.subscribed:
            found.append(_unsubscribed(stream))
        elif _bad(stream) and (stream.subscriber, stream.label) not in told:
            found.append(
                Finding(
                    Severity.WARNING,
                    str(stream.verdict).lower(),
                    stream.subscriber,
                    stream.label,
                    f"{lag_text(stream.lag_s, stream.lag_at_least, stream.behind)} of "
                    f"{short_name(stream.publisher)}; {stream.verdict}: {stream.reason}",
                    magnitude=stream.lag_s or 0.0,
                )
            )
    return found


def _unsubscribed(stream: StreamHealth) -> Finding:
    """INFO: unsubscribing may be meant (a device released, a scan over); the events it no
    longer gets are told all the same."""
    return Finding(
        Severity.INFO,
        "unsubscribed",
        stream.subscriber,
        stream.label,
        f"the subscription to {short_name(stream.publisher)} is gone; {stream.verdict}: "
        f"{stream.reason}",
    )


def _bad(stream: StreamHealth) -> bool:
    return stream.verdict in (Verdict.FALLING_BEHIND, Verdict.STALLED)
