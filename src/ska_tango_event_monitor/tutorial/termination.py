"""Turning SIGTERM and SIGHUP into an exception, so that cleanup code runs."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class Terminated(BaseException):
    """Raised by our SIGTERM/SIGHUP handler so that ``finally`` blocks stop everything."""


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    """SIGTERM/SIGHUP raise Terminated (so cleanup runs), in the main thread only.

    SIGINT raises KeyboardInterrupt even if it was ignored when we started (a background
    job of a script): the monitor we start must not inherit an ignored SIGINT.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signals = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in signals}
    if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, None):
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)
