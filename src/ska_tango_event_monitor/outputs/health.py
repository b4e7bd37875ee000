"""The lines of each stream's lag and verdict: only the streams behind or not OK, and a
count of the others, so that a healthy system's report stays short."""

from __future__ import annotations

from collections.abc import Sequence

from ska_tango_event_monitor.core.findings_log import StreamRecord
from ska_tango_event_monitor.core.health import StreamHealth, Verdict, lag_text
from ska_tango_event_monitor.core.names import short_name

NAME_MARGIN = 8  # as the event rates' names


def health_lines(health: Sequence[StreamHealth]) -> list[str]:
    """`foo/bar/hw/position.change: 14.2 s behind (68 events), FALLING BEHIND`."""
    shown = [h for h in health if h.behind > 0 or h.verdict not in (Verdict.OK, None)]
    lines = []
    if shown:
        width = NAME_MARGIN + max(len(h.label) for h in shown)
        lines = [f"{h.label:>{width}}: {_stream_text(h)}" for h in shown]
    ok = sum(h.verdict is Verdict.OK for h in health if h not in shown)
    waiting = [h for h in health if h.verdict is None and h not in shown]
    margin = " " * NAME_MARGIN
    if ok:
        lines.append(f"{margin}{ok} stream(s) OK")
    if waiting:
        lines.append(f"{margin}{len(waiting)} stream(s) not judged yet: {waiting[0].reason}")
    return lines


def _stream_text(health: StreamHealth) -> str:
    if not health.subscribed:  # no lag to show: the subscriber waits for nothing any more
        return f"{health.verdict} ({health.reason})"
    text = lag_text(health.lag_s, health.lag_at_least, health.behind)
    if health.verdict is None:
        return f"{text}, not judged yet ({health.reason})"
    text = f"{text}, {health.verdict}"
    if health.delayed_behind:
        return f"{text}, delayed behind {health.delayed_behind}"
    if health.verdict in (Verdict.STALLED, Verdict.STOPPED, Verdict.RESET):
        return f"{text} ({health.reason})"
    return text


def summary_lines(streams: Sequence[StreamRecord]) -> list[str]:
    """Per stream, the worst verdict of the run and the largest lag; the OK ones counted."""
    # not OK, or never judged but seen behind (a run too short for a verdict says so)
    bad = [s for s in streams if s.worst is not Verdict.OK and (s.worst or s.max_lag_s)]
    if not bad:  # a healthy run's summary stays as it was
        return []
    lines = ["- Streams: the worst verdict and the largest lag of each"]
    for record in bad:
        lag = lag_text(record.max_lag_s, record.lag_at_least)
        worst = record.worst or "not judged"
        lines.append(f"{record.label} at {short_name(record.subscriber)}: {worst}, {lag}")
    ok = sum(s.worst is Verdict.OK for s in streams)
    never = sum(s.worst is None and s not in bad for s in streams)
    if ok:
        lines.append(f"{ok} stream(s) OK throughout")
    if never:
        lines.append(f"{never} stream(s) never judged (too few polls)")
    return lines
