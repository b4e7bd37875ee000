"""A progress bar on stderr for long work that prints nothing meanwhile (`--replay` of a
large recording, writing `--report`), drawn only when stderr is a terminal.

It appears once the work has lasted `DELAY_S`, so quick work shows nothing, and it is
wiped when the work ends, so what was printed stays as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

DELAY_S = 0.5  # work shorter than this shows no bar
REFRESH_S = 0.1


class ProgressBar:
    """`update(done, total)` as the work goes, within `with`; no bar without a `stream`."""

    def __init__(
        self, stream: TextIO | None, what: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._terminal = stream is not None and _is_terminal(stream)
        self._stream, self._what, self._clock = stream, what, clock
        self._started = clock()
        self._drawn = 0.0
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> ProgressBar:
        self._started = self._clock()
        return self

    def __exit__(self, *_: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    @property
    def shown(self) -> bool:
        return self._progress is not None

    def update(self, done: float, total: float) -> None:
        now = self._clock()
        if not self._terminal or now - self._drawn < REFRESH_S:
            return
        if self._progress is None:
            if now - self._started < DELAY_S:
                return
            self._start()
        assert self._progress is not None and self._task is not None
        self._progress.update(self._task, completed=done, total=total or None)
        self._progress.refresh()
        self._drawn = now

    def _start(self) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            console=Console(file=self._stream, stderr=True),
            auto_refresh=False,  # drawn from update(): no thread of its own
            transient=True,
        )
        self._task = self._progress.add_task(self._what, total=None)
        self._progress.start()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a file
        return False
