"""ParallelCalls with Deferred calls: sent from the polling thread, answers collected in
order, a hung server never delays those queued behind it past the deadline."""

from __future__ import annotations

import threading
import time

from ska_tango_event_monitor.tango.fanout import Deferred, NotArrived, Outcome, ParallelCalls


class FakeServer:
    """Answers at once, unless `hold` is set: then only once `release` is set."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.hold, self.release = threading.Event(), threading.Event()
        self.sends = self.calls = 0
        self.answers: dict[int, str | None] = {}

    def call(self) -> str:
        self.calls += 1
        if self.hold.is_set():
            self.release.wait(30)
        return f"{self.name} call {self.calls}"

    def send(self) -> int:
        self.sends += 1
        self.answers[self.sends] = None if self.hold.is_set() else f"{self.name} sent {self.sends}"
        return self.sends

    def receive(self, ticket: int) -> str:
        while self.answers[ticket] is None:
            if self.release.wait(0.01):
                self.answers[ticket] = f"{self.name} late {ticket}"
        return self.answers[ticket]

    def take(self, ticket: int) -> str:
        if self.answers[ticket] is None:
            if not self.release.is_set():
                raise NotArrived
            self.answers[ticket] = f"{self.name} late {ticket}"
        return self.answers[ticket]

    def deferred(self) -> Deferred[str]:
        return Deferred(self.call, self.send, self.receive, self.take)

    def unblock(self) -> None:
        self.release.set()
        self.hold.clear()


def test_first_call_threaded_then_sent_and_a_hung_server_in_the_middle() -> None:
    servers = {key: FakeServer(key) for key in "abc"}
    parallel: ParallelCalls[str] = ParallelCalls()
    calls = {key: server.deferred() for key, server in servers.items()}

    first = parallel.call_all(calls, 1)
    assert [o.value for o in first.values()] == ["a call 1", "b call 1", "c call 1"]
    second = parallel.call_all(calls, 1)
    assert [o.value for o in second.values()] == ["a sent 1", "b sent 1", "c sent 1"]
    assert all(o.duration_s is not None for o in second.values())

    servers["b"].hold.set()
    started = time.monotonic()
    third = parallel.call_all(calls, 0.3)
    assert time.monotonic() - started < 1.5  # sanity: bounded by the deadline
    assert (third["a"].value, third["c"].value) == ("a sent 2", "c sent 2")  # c behind b
    assert third["b"].pending_for is not None

    fourth = parallel.call_all(calls, 0.3)
    assert (servers["b"].sends, servers["b"].calls) == (2, 1)  # not called again
    assert fourth["b"].pending_for is not None and fourth["a"].ok

    servers["b"].unblock()
    time.sleep(0.1)
    assert parallel.call_all(calls, 1)["b"].value == "b sent 3"


def test_answers_not_arrived_are_taken_later_and_never_sent_twice() -> None:
    servers = {key: FakeServer(key) for key in "ab"}
    parallel: ParallelCalls[str] = ParallelCalls()
    calls = {key: server.deferred() for key, server in servers.items()}
    parallel.call_all(calls, 1)
    parallel.call_all(calls, 1)
    for server in servers.values():
        server.hold.set()

    held = parallel.call_all(calls, 0.2)
    assert all(outcome.pending_for is not None for outcome in held.values())
    parallel.call_all(calls, 0.2)
    assert [s.sends for s in servers.values()] == [2, 2]

    for server in servers.values():
        server.unblock()
    time.sleep(0.1)
    after = parallel.call_all(calls, 1)
    assert (after["a"].value, after["b"].value) == ("a sent 3", "b sent 3")


def test_a_failed_send_goes_back_to_a_thread() -> None:
    server, parallel = FakeServer("a"), ParallelCalls()

    def refuse() -> int:
        raise RuntimeError("down")

    deferred = Deferred(server.call, refuse, server.receive, server.take)
    parallel.call_all({"a": deferred}, 1)
    failed = parallel.call_all({"a": deferred}, 1)
    assert isinstance(failed["a"].error, RuntimeError)
    assert parallel.call_all({"a": deferred}, 1)["a"].value == "a call 2"


def test_plain_callables_are_still_called_from_threads() -> None:
    parallel: ParallelCalls[str] = ParallelCalls()
    assert parallel.call_all({"x": lambda: 1}, 1) == {"x": Outcome(value=1)}
    assert parallel.call_all({"x": lambda: 2}, 1) == {"x": Outcome(value=2)}
