"""The keep-alive rule: subscriptions that cppTango stopped re-subscribing.

cppTango's keep-alive thread re-subscribes every subscription about every 210 s (the
`last_resubscribed` field); a publisher drops a subscriber not confirmed for 600 s, so a
stuck keep-alive means "events stop after ten minutes". The field is the subscriber's local
time: only whether it changes is used, timed on the monitor's own clock.
"""

from __future__ import annotations

from ska_tango_event_monitor.core.findings.judged import KEEPALIVE_TIME, Unjudged
from ska_tango_event_monitor.core.findings.model import Finding, Resubscription, Severity
from ska_tango_event_monitor.core.flow import ServerView
from ska_tango_event_monitor.core.names import short_name

KEEPALIVE_PERIOD_S = 210.0
# two periods and a margin without a change: one late re-subscription is not a fault
KEEPALIVE_LIMIT_S = 2 * KEEPALIVE_PERIOD_S + 30.0


class KeepAlive:
    def __init__(self) -> None:
        # admin -> topic -> (last_resubscribed, monitor time it was first seen with it)
        self._since: dict[str, dict[str, tuple[str | None, float]]] = {}
        self._first_poll: dict[str, float] = {}  # admin -> monitor time of its first reply
        self.latest: dict[str, tuple[Resubscription, ...]] = {}  # by admin, this snapshot

    def forget(self, admins: set[str]) -> None:
        self._since = {a: topics for a, topics in self._since.items() if a in admins}
        self._first_poll = {a: t for a, t in self._first_poll.items() if a in admins}
        self.latest = {}

    def judge(self, view: ServerView, now: float) -> list[Finding | Unjudged]:
        server = view.admin
        first = self._first_poll.setdefault(view.admin, now)
        subscriptions = view.state.subscriptions
        known = self._since.get(view.admin, {})
        since: dict[str, tuple[str | None, float]] = {}  # topics gone are forgotten
        stale: dict[str, float] = {}
        for topic in sorted(subscriptions):
            value = subscriptions[topic].last_resubscribed
            seen = known.get(topic)
            if seen is None or seen[0] != value:
                seen = (value, now)
            since[topic] = seen
            if now - seen[1] >= KEEPALIVE_LIMIT_S:
                stale[topic] = now - seen[1]
        self._since[view.admin] = since
        self.latest[view.admin] = tuple(
            Resubscription(server, topic, value, now - seen_at)
            for topic, (value, seen_at) in since.items()
        )
        if stale:
            return [_stuck(server, stale, len(subscriptions))]
        if subscriptions and now - first < KEEPALIVE_LIMIT_S:
            return [Unjudged("keep-alive", server, KEEPALIVE_TIME.format(KEEPALIVE_LIMIT_S / 60))]
        return []


def _stuck(server: str, stale: dict[str, float], subscriptions: int) -> Finding:
    longest = max(stale.values())
    example = short_name(min(stale, key=lambda topic: (-stale[topic], topic)))
    return Finding(
        Severity.WARNING,
        "keep-alive",
        server,
        None,
        f"{len(stale)} of {subscriptions} subscription(s) not re-subscribed for at least "
        f"{longest:.0f} s (e.g. {example}): cppTango's keep-alive re-subscribes every "
        f"~{KEEPALIVE_PERIOD_S:.0f} s and a publisher drops a subscription not confirmed for "
        "600 s, so events stop; the process answers, so its keep-alive thread is blocked "
        "(see its threads: py-spy dump --pid PID, or gdb)",
        magnitude=longest,
    )
