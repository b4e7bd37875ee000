"""The blocked event thread: a subscriber process none of whose subscriptions advances
while their publishers keep pushing, and no callback finishes. Not slow: stuck (a callback
that never returns, a deadlock); its backlog will not drain by itself."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ska_tango_event_monitor.core.findings.counters import processed_since
from ska_tango_event_monitor.core.findings.model import Finding, Severity
from ska_tango_event_monitor.core.flow import Backlog, ServerView
from ska_tango_event_monitor.core.model import processed

BLOCKED_POLLS = 2  # polls in a row without progress before the thread is called blocked


class BlockedThreads:
    def __init__(self) -> None:
        self._stuck_polls: dict[str, int] = {}  # admin -> polls in a row without progress
        self._pushed: dict[str, int] = {}  # admin -> events pushed to it meanwhile

    def forget(self, admins: set[str]) -> None:
        self._stuck_polls = {a: n for a, n in self._stuck_polls.items() if a in admins}
        self._pushed = {a: n for a, n in self._pushed.items() if a in admins}

    def judge(self, view: ServerView, mine: Sequence[Backlog], pushed: int) -> Iterator[Finding]:
        """`mine`: the flows this server receives; `pushed`: events the monitored publishers
        pushed on this server's subscribed streams since the poll before."""
        admin = view.admin
        stuck = (
            view.diff is not None
            and view.previous is not None
            and bool(mine)
            and pushed > 0
            and processed_since(view.diff) == 0
            and not processed(view.state.subscriber_samples)  # no callback finished either
        )
        if not stuck:
            self._stuck_polls.pop(admin, None)
            self._pushed.pop(admin, None)
            return
        polls = self._stuck_polls[admin] = self._stuck_polls.get(admin, 0) + 1
        total = self._pushed[admin] = self._pushed.get(admin, 0) + pushed
        if polls < BLOCKED_POLLS:
            return
        subscriptions = len(view.state.subscriptions)
        behind = sum(max(flow.events, 0) for flow in mine)
        yield Finding(
            Severity.ERROR,
            "blocked",
            admin,
            None,
            f"event thread blocked: none of its {subscriptions} subscription(s) advanced for "
            f"{polls} polls while their publishers pushed {total} events ({behind} waiting), "
            "and no callback finished: a callback that never returns or a deadlock, not a slow "
            "one, so it will not drain by itself; look at the process's threads "
            "(py-spy dump --pid PID, or gdb -p PID)",
            magnitude=behind,
        )
