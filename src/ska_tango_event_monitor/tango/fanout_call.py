"""One server's call as the fan-out sees it: whole or in halves (`Deferred`), and its
`Outcome`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class Outcome(Generic[T_co]):
    """A call's result, or the exception it raised, or why there is neither yet."""

    value: T_co | None = None
    error: BaseException | None = None
    pending_for: float | None = None  # seconds the call has been running without an answer
    duration_s: float | None = field(default=None, compare=False)  # how long the call took

    @property
    def ok(self) -> bool:
        return self.error is None and self.pending_for is None


class NotArrived(Exception):
    """`Deferred.take`: the answer is not there yet."""


@dataclass(frozen=True)
class Deferred(Generic[T_co]):
    """A call that can also be made in halves, without a thread of its own.

    `send()` starts it and returns a ticket at once; `receive(ticket)` waits for the answer
    (the transport's own timeout ends the wait); `take(ticket)` returns the answer only if it
    is there, else raises `NotArrived`. `call()` is the whole call, for a worker thread.
    """

    call: Callable[[], T_co]
    send: Callable[[], object]
    receive: Callable[[object], T_co]
    take: Callable[[object], T_co]
