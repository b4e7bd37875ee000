"""Call many servers at once, each from its own thread, bounded by our own deadline.

A Tango client call to a frozen server can outlive its client timeout (seen: 9 s for a
3 s timeout), so each round waits at most `timeout` and moves on. A server whose call is
still running is not called again until that call ends: at most one call per server is in
flight, and one worker thread per server suffices.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

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
            try:
                value = call()
            except BaseException as error:  # reported to the caller, never lost
                self.last_duration = time.monotonic() - self.started_at
                future.set_exception(error)
            else:
                self.last_duration = time.monotonic() - self.started_at
                future.set_result(value)


class ParallelCalls(Generic[K]):
    """One daemon worker per key; a hung call never blocks a later round past its deadline."""

    def __init__(self) -> None:
        self._workers: dict[K, _Worker] = {}

    def call_all(self, calls: Mapping[K, Callable[[], T]], timeout: float) -> dict[K, Outcome[T]]:
        futures: dict[K, Future] = {}
        outcomes: dict[K, Outcome[T]] = {}
        for key, call in calls.items():
            worker = self._worker(key)
            if worker.busy:
                outcomes[key] = Outcome(pending_for=time.monotonic() - worker.started_at)
            else:
                futures[key] = worker.submit(call)
        wait(futures.values(), timeout=timeout)
        for key, future in futures.items():
            outcomes[key] = self._outcome(key, future)
        return {key: outcomes[key] for key in calls}

    def retain(self, keys: set[K]) -> None:
        """Let the workers of other keys end (after their call in flight, if any)."""
        for key in self._workers.keys() - keys:
            self._workers.pop(key).stop()

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
