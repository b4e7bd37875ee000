"""Calling many servers at once the blocking way: each call in a worker thread of its own.

One worker per key runs one call at a time, so a hung call keeps its worker busy and the key
is reported pending (not called again) until that call ends. Also the receiver threads of
the asynchronous way (`fanout_asynch`) are such workers.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import Future, wait
from typing import Any, TypeVar

from ska_tango_event_monitor.tango.fanout_call import Outcome

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class Worker:
    """A daemon thread that runs the calls submitted to it, one after the other."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self.current: Future[Any] | None = None  # the last call submitted
        self.started_at = 0.0
        self.last_duration = 0.0
        threading.Thread(target=self._run, name=name, daemon=True).start()

    @property
    def busy(self) -> bool:
        return self.current is not None and not self.current.done()

    def pending(self) -> Outcome[Any] | None:
        """The pending outcome of a call still running, else None."""
        if not self.busy:
            return None
        return Outcome(pending_for=time.monotonic() - self.started_at)

    def submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self.current, self.started_at = future, time.monotonic()
        self._jobs.put(self._job(call, future))
        return future

    def outcome(self, future: Future[T]) -> Outcome[T]:
        """The outcome of the call of `future`, the last one submitted."""
        if not future.done():
            return Outcome(pending_for=time.monotonic() - self.started_at)
        error = future.exception()
        if error is not None:
            return Outcome(error=error, duration_s=self.last_duration)
        return Outcome(value=future.result(), duration_s=self.last_duration)

    def stop(self) -> None:
        """Let the thread end after its call in flight, if any."""
        self._jobs.put(None)

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            job()
            job = None  # hold no call (and its proxy) while waiting for the next one

    def _job(self, call: Callable[[], T], future: Future[T]) -> Callable[[], None]:
        def run() -> None:
            try:
                value = call()
            except BaseException as error:  # reported to the caller, never lost
                self.last_duration = time.monotonic() - self.started_at
                future.set_exception(error)
            else:
                self.last_duration = time.monotonic() - self.started_at
                future.set_result(value)

        return run


def collect(
    workers: Mapping[K, Worker], futures: Mapping[K, Future[T]], deadline: float
) -> dict[K, Outcome[T]]:
    """The outcomes of the calls submitted to each key's worker, waiting until `deadline`."""
    wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()))
    return {key: workers[key].outcome(future) for key, future in futures.items()}
