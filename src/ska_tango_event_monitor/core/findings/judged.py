"""What a snapshot could not judge, and why: a verdict never covers what was not checked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ska_tango_event_monitor.core.names import short_name

# Every check the rules make, as the findings block names them.
CHECKS = (
    "backlog",
    "missed events",
    "restart",
    "saturation",
    "latency",
    "churn",
    "keep-alive",
)
SAMPLE_CHECKS = ("saturation", "latency", "churn")
COUNTER_CHECKS = ("backlog", "missed events", "restart")

NO_REPLY = "no reply"
NO_PERF = "no performance samples (run with --monitor)"
PERF_JUST_ON = "performance monitoring just switched on (judged from the next poll)"
FIRST_POLL = "one poll so far (needs two)"
FEW_SAMPLES = "fewer than {} events in the window"
NO_PUBLISHER = "the publisher of a subscription is not monitored (name its server too)"
PUBLISHER_DOWN = "the publisher of a subscription did not answer"
NO_STREAM = "the publisher of a subscription has no entry for its stream (it restarted)"
KEEPALIVE_TIME = "needs {:.1f} min of polls"


class Unjudged(NamedTuple):
    """One check that could not be made on one server at one snapshot."""

    check: str
    server: str  # admin device, short
    reason: str


class UnjudgedGroup(NamedTuple):
    """Checks that could not be made for one reason, on these servers."""

    checks: tuple[str, ...]
    servers: tuple[str, ...]
    reason: str


def grouped(unjudged: Iterable[Unjudged]) -> list[UnjudgedGroup]:
    """One group per reason and set of checks, in the order of CHECKS, servers sorted."""
    by_reason: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for item in unjudged:
        by_reason[item.reason][item.server].add(item.check)
    groups: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)
    for reason, servers in by_reason.items():
        for server, checks in servers.items():
            groups[(reason, _ordered(checks))].add(server)
    return [
        UnjudgedGroup(checks, tuple(sorted(servers)), reason)
        for (reason, checks), servers in sorted(groups.items(), key=_group_order)
    ]


def _ordered(checks: Iterable[str]) -> tuple[str, ...]:
    order = {check: i for i, check in enumerate(CHECKS)}
    return tuple(sorted(checks, key=lambda check: order.get(check, len(order))))


def _group_order(item: tuple[tuple[str, tuple[str, ...]], set[str]]) -> tuple[int, str]:
    (reason, checks), _ = item
    return CHECKS.index(checks[0]) if checks[0] in CHECKS else len(CHECKS), reason


def group_text(group: UnjudgedGroup, all_servers: Sequence[str]) -> str:
    """`churn, latency at dserver/a/b: fewer than 10 events in the window`."""
    where = ""
    if len(all_servers) > 1 and set(group.servers) >= set(all_servers):
        where = f" at all {len(all_servers)} servers"
    elif group.servers:
        shown = ", ".join(map(short_name, group.servers[:3]))
        more = f" and {len(group.servers) - 3} more" if len(group.servers) > 3 else ""
        where = f" at {shown}{more}"
    checks = "all checks" if set(group.checks) >= set(CHECKS) else ", ".join(group.checks)
    return f"{checks}{where}: {group.reason}"
