"""ParallelCalls: one worker per key, a deadline per round, never two calls in flight per key."""

from __future__ import annotations

import threading
import time

import pytest

from ska_tango_event_monitor.tango.fanout import Outcome, ParallelCalls

TIMEOUT = 0.3


def fail() -> int:
    raise ValueError("broken server")


class Blocking:
    """A call that blocks until released; counts its invocations."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        number = self.calls
        if not self.release.wait(timeout=30):
            raise AssertionError("never released")
        return f"answer {number}"


def test_values_and_exceptions_per_key() -> None:
    calls: ParallelCalls[str] = ParallelCalls()
    outcomes = calls.call_all({"a": lambda: 1, "b": fail, "c": lambda: None}, timeout=5)

    assert list(outcomes) == ["a", "b", "c"]
    assert outcomes["a"] == Outcome(value=1)
    assert outcomes["a"].ok
    assert isinstance(outcomes["b"].error, ValueError)
    assert str(outcomes["b"].error) == "broken server"
    assert not outcomes["b"].ok
    assert outcomes["b"].value is None and outcomes["b"].pending_for is None
    assert outcomes["c"].ok and outcomes["c"].value is None


def test_base_exceptions_are_reported_not_lost() -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    outcome = ParallelCalls().call_all({"k": interrupted}, timeout=5)["k"]
    assert isinstance(outcome.error, KeyboardInterrupt)


def test_empty_round() -> None:
    assert ParallelCalls().call_all({}, timeout=1) == {}


def test_calls_of_different_keys_run_at_once() -> None:
    # both calls only return if they run at the same time
    barrier = threading.Barrier(3)

    def meet() -> str:
        barrier.wait(timeout=10)
        return "met"

    outcomes = ParallelCalls().call_all({"x": meet, "y": meet, "z": meet}, timeout=15)
    assert [o.value for o in outcomes.values()] == ["met", "met", "met"]


def test_blocked_call_is_pending_and_not_called_again_until_it_ends() -> None:
    calls: ParallelCalls[str] = ParallelCalls()
    blocked = Blocking()
    try:
        started = time.monotonic()
        first = calls.call_all({"a": lambda: "A", "hung": blocked, "b": fail}, timeout=TIMEOUT)
        elapsed = time.monotonic() - started

        assert first["a"] == Outcome(value="A")
        assert isinstance(first["b"].error, ValueError)
        hung = first["hung"]
        assert hung.value is None and hung.error is None and not hung.ok
        assert hung.pending_for is not None and hung.pending_for > 0
        assert elapsed < TIMEOUT + 2  # the round kept its deadline (sanity bound only)
        assert blocked.calls == 1

        # still blocked: the next round reports it pending and does not submit another call
        second = calls.call_all({"a": lambda: "A2", "hung": blocked}, timeout=TIMEOUT)
        assert blocked.calls == 1
        assert second["a"] == Outcome(value="A2")
        assert second["hung"].pending_for is not None
        assert second["hung"].pending_for >= hung.pending_for
        assert list(second) == ["a", "hung"]

        third = calls.call_all({"hung": blocked}, timeout=TIMEOUT)
        assert blocked.calls == 1 and third["hung"].pending_for is not None
    finally:
        blocked.release.set()

    # let the first call finish (its result belongs to no round any more)
    calls._workers["hung"].current.result(timeout=10)  # type: ignore[union-attr]
    again = calls.call_all({"hung": blocked}, timeout=10)
    assert blocked.calls == 2
    assert again["hung"] == Outcome(value="answer 2")


def test_a_key_absent_from_a_round_is_not_called() -> None:
    calls: ParallelCalls[str] = ParallelCalls()
    counts = {"a": 0, "b": 0}

    def counter(key: str):
        def call() -> int:
            counts[key] += 1
            return counts[key]

        return call

    calls.call_all({"a": counter("a"), "b": counter("b")}, timeout=5)
    outcomes = calls.call_all({"a": counter("a")}, timeout=5)
    assert counts == {"a": 2, "b": 1}
    assert outcomes == {"a": Outcome(value=2)}


@pytest.mark.parametrize(
    ("outcome", "ok"),
    [
        (Outcome(value=0), True),
        (Outcome(), True),
        (Outcome(error=RuntimeError()), False),
        (Outcome(pending_for=0.0), False),
    ],
)
def test_outcome_ok(outcome: Outcome, ok: bool) -> None:
    assert outcome.ok is ok
