"""Calling many servers at once Tango's asynchronous way: send to all, then collect the answers.

Each `Deferred` call is started (`send`) from the calling thread, and one receiver thread
receives the answers of the round in sending order. At the deadline, the answers behind one
that hangs are taken without waiting; the hung one stays with its receiver thread until it
ends. This saves a thread wake-up and two GIL hand-offs per server and round, which cost
more than the calls themselves on a busy machine (see BENCHMARKS.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from ska_tango_event_monitor.tango.fanout_call import Deferred, NotArrived, Outcome
from ska_tango_event_monitor.tango.fanout_threads import Worker

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Sent(Generic[K, T_co]):
    """A call sent, waiting for its answer."""

    key: K
    call: Deferred[T_co]
    ticket: object
    sent_at: float


class _Receipts(Generic[K, T]):
    """The answers of one round's sent calls, received in sending order by one thread.

    `close()` (at the deadline) stops it after the answer it is waiting for: the calls it has
    not reached go back to the caller; the one it is waiting for stays `in_flight`.
    """

    def __init__(self, sent: list[Sent[K, T]]) -> None:
        self._sent = sent
        self._next = 0
        self._lock = threading.Lock()
        self._closed = False
        self._receiving: Sent[K, T] | None = None
        self._outcomes: dict[K, Outcome[T]] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while (sent := self._take_next()) is not None:
            outcome = _timed(partial(sent.call.receive, sent.ticket), sent.sent_at)
            with self._lock:
                self._receiving = None
                self._outcomes[sent.key] = outcome
        self.done.set()

    def _take_next(self) -> Sent[K, T] | None:
        with self._lock:
            if self._closed or self._next == len(self._sent):
                return None
            self._receiving = self._sent[self._next]
            self._next += 1
            return self._receiving

    def close(self) -> tuple[dict[K, Outcome[T]], list[Sent[K, T]], Sent[K, T] | None]:
        """The answers received, the calls not reached, and the one still being received."""
        with self._lock:
            self._closed = True
            return dict(self._outcomes), self._sent[self._next :], self._receiving

    def in_flight(self, key: K) -> Sent[K, T] | None:
        with self._lock:
            receiving = self._receiving
        return receiving if receiving is not None and receiving.key == key else None

    def outcome(self, key: K) -> Outcome[T] | None:
        with self._lock:
            return self._outcomes.get(key)


class AsynchCalls(Generic[K]):
    """Deferred calls sent from the calling thread; their answers received by receiver
    threads, one per round that has not ended yet."""

    def __init__(self) -> None:
        self._receivers: list[Worker] = []
        # calls of a past round still unanswered; their values belong to no round any more
        self._unanswered: dict[K, Sent[K, object] | _Receipts[K, Any]] = {}

    def earlier(self, key: K) -> Outcome[object] | None:
        """The outcome of the key's call of an earlier round still unanswered at its end:
        pending while it runs, else its late answer (then forgotten). None if there is none."""
        earlier = self._unanswered.get(key)
        if isinstance(earlier, _Receipts):
            if (receiving := earlier.in_flight(key)) is not None:
                return Outcome(pending_for=time.monotonic() - receiving.sent_at)
            late = earlier.outcome(key)
        elif earlier is not None:
            if (late := _taken(earlier)) is None:
                return Outcome(pending_for=time.monotonic() - earlier.sent_at)
        else:
            return None
        del self._unanswered[key]
        return late

    def send(self, key: K, call: Deferred[T]) -> Sent[K, T] | Outcome[T]:
        """The call sent, or the failure of sending it."""
        sent_at = time.monotonic()
        try:
            return Sent(key, call, call.send(), sent_at)
        except BaseException as error:  # reported to the caller, never lost
            return Outcome(error=error, duration_s=time.monotonic() - sent_at)

    def receive(self, sent: list[Sent[K, T]], deadline: float) -> dict[K, Outcome[T]]:
        """The outcomes of the calls sent this round, waiting until `deadline`."""
        receipts = _Receipts(sent)
        self._receiver().submit(receipts.run)
        receipts.done.wait(max(0.0, deadline - time.monotonic()))
        outcomes, unreached, receiving = receipts.close()
        for call in unreached:  # behind one that hangs: take what is there
            if (outcome := _taken(call)) is None:
                self._unanswered[call.key] = call
                outcome = Outcome(pending_for=time.monotonic() - call.sent_at)
            outcomes[call.key] = outcome
        if receiving is not None:
            self._unanswered[receiving.key] = receipts
            outcomes[receiving.key] = Outcome(pending_for=time.monotonic() - receiving.sent_at)
        return outcomes

    def retain(self, keys: set[K]) -> None:
        """Forget the unanswered calls of other keys."""
        for key in self._unanswered.keys() - keys:
            del self._unanswered[key]

    def close(self) -> None:
        """Let every receiver thread end (after the answer it waits for, if any)."""
        for receiver in self._receivers:
            receiver.stop()
        self._receivers = []

    def _receiver(self) -> Worker:
        for receiver in self._receivers:
            if not receiver.busy:
                return receiver
        receiver = Worker(name=f"receive-{len(self._receivers)}")
        self._receivers.append(receiver)
        return receiver


def _timed(call: Callable[[], T], started_at: float) -> Outcome[T]:
    try:
        value = call()
    except BaseException as error:  # reported to the caller, never lost
        return Outcome(error=error, duration_s=time.monotonic() - started_at)
    return Outcome(value=value, duration_s=time.monotonic() - started_at)


def _taken(sent: Sent[K, T]) -> Outcome[T] | None:
    """The answer of a sent call if it is there (or its failure), else None."""
    try:
        value = sent.call.take(sent.ticket)
    except NotArrived:
        return None
    except BaseException as error:  # reported to the caller, never lost
        return Outcome(error=error, duration_s=time.monotonic() - sent.sent_at)
    return Outcome(value=value, duration_s=time.monotonic() - sent.sent_at)
