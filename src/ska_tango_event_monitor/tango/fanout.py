"""Call many servers at once, bounded by our own deadline.

A Tango client call to a frozen server can outlive its client timeout (seen: 9 s for a
3 s timeout, and 20 s for an asynchronous call with a 1 s timeout), so each round waits at
most `timeout` and moves on. A server whose call is still running is not called again until
that call ends: at most one call per server is in flight.

A call runs one of two ways, chosen per key and round:
- in the key's own worker thread (`fanout_threads`): a plain callable, or a `Deferred` call
  of a key that did not answer last time (a first connection or a reconnection can block
  in `send`);
- without a thread of its own (`fanout_asynch`): a `Deferred` call of a key that answered
  last time is sent from the calling thread, and one receiver thread receives the answers
  of the round.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from ska_tango_event_monitor.tango.fanout_asynch import AsynchCalls, Sent
from ska_tango_event_monitor.tango.fanout_call import Deferred, NotArrived, Outcome
from ska_tango_event_monitor.tango.fanout_threads import Worker, collect

__all__ = ["Deferred", "NotArrived", "Outcome", "ParallelCalls"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class ParallelCalls(Generic[K]):
    """Calls per key at once; a hung call never blocks a later round past its deadline."""

    def __init__(self) -> None:
        self._workers: dict[K, Worker] = {}
        self._asynch: AsynchCalls[K] = AsynchCalls()
        self._answered: set[K] = set()  # answered last time: a Deferred call needs no thread

    def call_all(
        self, calls: Mapping[K, Callable[[], T] | Deferred[T]], timeout: float
    ) -> dict[K, Outcome[T]]:
        deadline = time.monotonic() + timeout
        futures: dict[K, Future[T]] = {}
        outcomes: dict[K, Outcome[T]] = {}
        sent: list[Sent[K, T]] = []
        for key, call in calls.items():
            if (pending := self._pending(key)) is not None:
                outcomes[key] = pending
            elif isinstance(call, Deferred) and key in self._answered:
                started = self._asynch.send(key, call)
                if isinstance(started, Outcome):
                    outcomes[key] = started
                else:
                    sent.append(started)
            else:
                whole = call.call if isinstance(call, Deferred) else call
                futures[key] = self._worker(key).submit(whole)
        if sent:
            outcomes.update(self._asynch.receive(sent, deadline))
        outcomes.update(collect(self._workers, futures, deadline))
        for key, outcome in outcomes.items():
            self._note(key, outcome)
        return {key: outcomes[key] for key in calls}

    def close(self) -> None:
        """Let every worker thread end (after its call in flight, if any)."""
        self.retain(set())
        self._asynch.close()

    def retain(self, keys: set[K]) -> None:
        """Let the workers of other keys end (after their call in flight, if any)."""
        for key in self._workers.keys() - keys:
            self._workers.pop(key).stop()
        self._answered &= keys
        self._asynch.retain(keys)

    def _pending(self, key: K) -> Outcome[Any] | None:
        """Outcome of a key whose call of an earlier round is still running, else None."""
        worker = self._workers.get(key)
        if worker is not None and (pending := worker.pending()) is not None:
            return pending
        earlier = self._asynch.earlier(key)
        if earlier is None or earlier.pending_for is not None:
            return earlier
        self._note(key, earlier)  # a late answer: for no round, but it tells who answers
        return None

    def _note(self, key: K, outcome: Outcome[object]) -> None:
        if outcome.ok:
            self._answered.add(key)
        else:
            self._answered.discard(key)

    def _worker(self, key: K) -> Worker:
        if key not in self._workers:
            self._workers[key] = Worker(name=f"call-{key}")
        return self._workers[key]
