"""Call many servers at once, bounded by our own deadline.

A Tango client call to a frozen server can outlive its client timeout (seen: 9 s for a
3 s timeout, and 20 s for an asynchronous call with a 1 s timeout), so each round waits at
most `timeout` and moves on. A server whose call is still running is not called again until
that call ends: at most one call per server is in flight.

A call runs one of two ways, chosen per key and round:
- in the key's own worker thread: a plain callable, or a `Deferred` call of a key that did
  not answer last time (a first connection or a reconnection can block in `send`);
- without a thread of its own: a `Deferred` call of a key that answered last time is started
  (`send`) from the calling thread, and one receiver thread receives the answers of the
  round in sending order. At the deadline, the answers behind one that hangs are taken
  without waiting; the hung one stays with its receiver thread until it ends.
The second way saves a thread wake-up and two GIL hand-offs per server and round, which
cost more than the calls themselves on a busy machine (see BENCHMARKS.md).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A call's result, or the exception it raised, or why there is neither yet."""

    value: T | None = None
    error: BaseException | None = None
    pending_for: float | None = None  # seconds the call has been running without an answer
    duration_s: float | None = field(default=None, compare=False)  # how long the call took

    @property
    def ok(self) -> bool:
        return self.error is None and self.pending_for is None


class NotArrived(Exception):
    """`Deferred.take`: the answer is not there yet."""


@dataclass(frozen=True)
class Deferred(Generic[T]):
    """A call that can also be made in halves, without a thread of its own.

    `send()` starts it and returns a ticket at once; `receive(ticket)` waits for the answer
    (the transport's own timeout ends the wait); `take(ticket)` returns the answer only if it
    is there, else raises `NotArrived`. `call()` is the whole call, for a worker thread.
    """

    call: Callable[[], T]
    send: Callable[[], object]
    receive: Callable[[object], T]
    take: Callable[[object], T]


class _Worker:
    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], object], Future] | None] = (
            queue.SimpleQueue()
        )
        self.current: Future | None = None
        self.started_at = 0.0
        self.last_duration = 0.0
        threading.Thread(target=self._run, name=name, daemon=True).start()

    @property
    def busy(self) -> bool:
        return self.current is not None and not self.current.done()

    def submit(self, call: Callable[[], object]) -> Future:
        future: Future = Future()
        self.current, self.started_at = future, time.monotonic()
        self._jobs.put((call, future))
        return future

    def stop(self) -> None:
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            call, future = job
            job = None  # hold no call (and its proxy) while waiting for the next one
            try:
                value = call()
            except BaseException as error:  # reported to the caller, never lost
                self.last_duration = time.monotonic() - self.started_at
                future.set_exception(error)
            else:
                self.last_duration = time.monotonic() - self.started_at
                future.set_result(value)
            del call, future


class _Sent(NamedTuple):
    key: Hashable
    call: Deferred
    ticket: object
    sent_at: float


class _Receipts:
    """The answers of one round's sent calls, received in sending order by one thread.

    `close()` (at the deadline) stops it after the answer it is waiting for: the calls it has
    not reached go back to the caller; the one it is waiting for stays `in_flight`.
    """

    def __init__(self, sent: list[_Sent]) -> None:
        self._sent = sent
        self._next = 0
        self._lock = threading.Lock()
        self._closed = False
        self._receiving: _Sent | None = None
        self._outcomes: dict[Hashable, Outcome] = {}
        self.done = threading.Event()

    def run(self) -> None:
        while (sent := self._take_next()) is not None:
            outcome = _timed(lambda s=sent: s.call.receive(s.ticket), sent.sent_at)
            with self._lock:
                self._receiving = None
                self._outcomes[sent.key] = outcome
        self.done.set()

    def _take_next(self) -> _Sent | None:
        with self._lock:
            if self._closed or self._next == len(self._sent):
                return None
            self._receiving = self._sent[self._next]
            self._next += 1
            return self._receiving

    def close(self) -> tuple[dict[Hashable, Outcome], list[_Sent], _Sent | None]:
        """The answers received, the calls not reached, and the one still being received."""
        with self._lock:
            self._closed = True
            return dict(self._outcomes), self._sent[self._next :], self._receiving

    def in_flight(self, key: Hashable) -> _Sent | None:
        with self._lock:
            receiving = self._receiving
        return receiving if receiving is not None and receiving.key == key else None

    def outcome(self, key: Hashable) -> Outcome | None:
        with self._lock:
            return self._outcomes.get(key)


class ParallelCalls(Generic[K]):
    """Calls per key at once; a hung call never blocks a later round past its deadline."""

    def __init__(self) -> None:
        self._workers: dict[K, _Worker] = {}
        self._receivers: list[_Worker] = []
        self._answered: set[K] = set()  # answered last time: a Deferred call needs no thread
        self._unanswered: dict[K, _Sent | _Receipts] = {}  # sent calls of a past round

    def call_all(
        self, calls: Mapping[K, Callable[[], T] | Deferred[T]], timeout: float
    ) -> dict[K, Outcome[T]]:
        deadline = time.monotonic() + timeout
        futures: dict[K, Future] = {}
        outcomes: dict[K, Outcome[T]] = {}
        sent: list[_Sent] = []
        for key, call in calls.items():
            if (pending := self._pending(key)) is not None:
                outcomes[key] = pending
            elif isinstance(call, Deferred) and key in self._answered:
                started = self._send(key, call)
                if isinstance(started, Outcome):
                    outcomes[key] = started
                else:
                    sent.append(started)
            else:
                whole = call.call if isinstance(call, Deferred) else call
                futures[key] = self._worker(key).submit(whole)
        if sent:
            outcomes.update(self._receive(sent, deadline))
        wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()))
        for key, future in futures.items():
            outcomes[key] = self._outcome(key, future)
        for key, outcome in outcomes.items():
            self._note(key, outcome)
        return {key: outcomes[key] for key in calls}

    def close(self) -> None:
        """Let every worker thread end (after its call in flight, if any)."""
        self.retain(set())
        for receiver in self._receivers:
            receiver.stop()
        self._receivers = []

    def retain(self, keys: set[K]) -> None:
        """Let the workers of other keys end (after their call in flight, if any)."""
        for key in self._workers.keys() - keys:
            self._workers.pop(key).stop()
        self._answered &= keys
        for key in self._unanswered.keys() - keys:
            del self._unanswered[key]

    def _pending(self, key: K) -> Outcome | None:
        """Outcome of a key whose call of an earlier round is still running, else None."""
        worker = self._workers.get(key)
        if worker is not None and worker.busy:
            return Outcome(pending_for=time.monotonic() - worker.started_at)
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
        del self._unanswered[key]  # its late answer belongs to no round any more
        if late is not None:
            self._note(key, late)
        return None

    def _send(self, key: K, call: Deferred[T]) -> _Sent | Outcome[T]:
        sent_at = time.monotonic()
        try:
            return _Sent(key, call, call.send(), sent_at)
        except BaseException as error:  # reported to the caller, never lost
            return Outcome(error=error, duration_s=time.monotonic() - sent_at)

    def _receive(self, sent: list[_Sent], deadline: float) -> dict[K, Outcome]:
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

    def _receiver(self) -> _Worker:
        for receiver in self._receivers:
            if not receiver.busy:
                return receiver
        receiver = _Worker(name=f"receive-{len(self._receivers)}")
        self._receivers.append(receiver)
        return receiver

    def _note(self, key: K, outcome: Outcome) -> None:
        if outcome.ok:
            self._answered.add(key)
        else:
            self._answered.discard(key)

    def _worker(self, key: K) -> _Worker:
        if key not in self._workers:
            self._workers[key] = _Worker(name=f"call-{key}")
        return self._workers[key]

    def _outcome(self, key: K, future: Future) -> Outcome:
        if not future.done():
            return Outcome(pending_for=time.monotonic() - self._workers[key].started_at)
        duration = self._workers[key].last_duration
        error = future.exception()
        if error is not None:
            return Outcome(error=error, duration_s=duration)
        return Outcome(value=future.result(), duration_s=duration)


def _timed(call: Callable[[], T], started_at: float) -> Outcome[T]:
    try:
        value = call()
    except BaseException as error:  # reported to the caller, never lost
        return Outcome(error=error, duration_s=time.monotonic() - started_at)
    return Outcome(value=value, duration_s=time.monotonic() - started_at)


def _taken(sent: _Sent) -> Outcome | None:
    """The answer of a sent call if it is there (or its failure), else None."""
    try:
        value = sent.call.take(sent.ticket)
    except NotArrived:
        return None
    except BaseException as error:  # reported to the caller, never lost
        return Outcome(error=error, duration_s=time.monotonic() - sent.sent_at)
    return Outcome(value=value, duration_s=time.monotonic() - sent.sent_at)
