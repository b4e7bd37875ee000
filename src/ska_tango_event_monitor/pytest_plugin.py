"""A pytest fixture that fails a test which missed events or left a backlog behind.

    def test_scan(tango_event_check):
        tango_event_check.watch("foo/bar/hw", "foo/bar/top")
        ...  # exercise the devices

At teardown the watched servers (and this test process's own subscriptions) are queried
again: a missed-event count that rose, or events pushed by one watched server and not
received by another within `settle_s`, fail the test. Registered through the `pytest11`
entry point; Tango is imported only when the fixture is used.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from ska_tango_event_monitor.core.checks import (
    EventProblem,
    backlog_problem,
    missed_events,
    pending_backlogs,
)
from ska_tango_event_monitor.core.model import EventSystemState

THIS_PROCESS = "this test process"


class TangoEventCheck:
    """Snapshots of the watched servers' event systems, before and after a test."""

    def __init__(self, settle_s: float = 5.0, timeout_s: float = 3.0) -> None:
        self.settle_s = settle_s
        self.timeout_s = timeout_s
        self._monitor: Any = None
        self._before: dict[str, EventSystemState] = {}

    def watch(self, *devices: str) -> None:
        """Watch the servers of these devices from now on."""
        from ska_tango_event_monitor.tango.monitor import Monitor
        from ska_tango_event_monitor.tango.resolve import DeviceResolver

        self._monitor = Monitor(DeviceResolver().resolve(devices), self.timeout_s)
        self._before = self.snapshot()

    def snapshot(self) -> dict[str, EventSystemState]:
        """The watched servers' event systems now, and this process's own as a client."""
        from ska_tango_event_monitor.core.parse import parse_reply
        from ska_tango_event_monitor.tango.admin import query_this_process

        states = {THIS_PROCESS: parse_reply(query_this_process())}
        if self._monitor is not None:
            for poll in self._monitor.poll().polls:
                if poll.reply is None:
                    raise AssertionError(f"cannot query {poll.admin}: {poll.error}")
                states[poll.admin] = parse_reply(poll.reply)
        return states

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.close()

    def problems(self) -> list[EventProblem]:
        """Missed events since `watch`, and backlogs that did not drain within `settle_s`."""
        deadline = time.monotonic() + self.settle_s
        while True:
            after = self.snapshot()
            flows = pending_backlogs(after)
            if not flows or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        return [*missed_events(self._before, after), *map(backlog_problem, flows)]

    def verify(self) -> None:
        if problems := self.problems():
            listing = "\n  ".join(map(str, problems))
            pytest.fail(f"Tango event system problems:\n  {listing}", pytrace=False)


@pytest.fixture
def tango_event_check() -> Iterator[TangoEventCheck]:
    check = TangoEventCheck()
    try:
        yield check
        check.verify()
    finally:
        check.close()
