"""`--top` in the terminal: a full screen redrawn after every poll, and the keys.

`rich`'s `Live` draws in the terminal's alternate screen, so the shell's screen comes back
as it was; our own key reader (cbreak mode) handles the keys, because the waiting between
polls is ours. Warnings written while the screen is full are held (the last one shown)
and written to stderr once it is left, so nothing is drawn over the table.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TextIO

from rich.console import Console
from rich.live import Live

from ska_tango_event_monitor.core.session import SnapshotReport
from ska_tango_event_monitor.outputs.top.controls import Action, ViewState, press
from ska_tango_event_monitor.outputs.top.keys import KeyReader
from ska_tango_event_monitor.outputs.top.render import Frame, frame

TICK_S = 0.25  # how often a resized terminal is noticed while no key comes


class QuitRequested(KeyboardInterrupt):
    """`q`: leave as Ctrl-C does, with the same clean-up (perf monitoring off, files closed)."""


class HeldMessages(io.StringIO):
    """Stderr while the screen is full: kept, the last line shown on the screen."""

    @property
    def last_line(self) -> str:
        lines = self.getvalue().strip().splitlines()
        return lines[-1] if lines else ""


class TopScreen:
    """The full-screen view, in use within `with`; `show` a report after every poll and
    `wait` between polls (keys work meanwhile), or `browse` the reports of a recording."""

    def __init__(self, stdout: TextIO, stdin: TextIO, stderr: TextIO, replay: bool = False):
        self.messages = HeldMessages()
        self._stderr = stderr
        self._console = Console(file=stdout)
        self._stdout = stdout
        self._keys = KeyReader(stdin)
        self._frame = Frame(None, None, ViewState(), replay=replay)
        self._latest: tuple[SnapshotReport | None, SnapshotReport | None] = (None, None)
        self._live = Live(
            console=self._console,
            screen=True,
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
            get_renderable=lambda: frame(self._frame, *self._console.size),
        )
        self._size = self._measure()

    def __enter__(self) -> TopScreen:
        self._keys.__enter__()
        self._live.start(refresh=True)
        return self

    def __exit__(self, *_: object) -> None:
        try:
            self._live.stop()
        finally:
            self._keys.__exit__()
            self._stderr.write(self.messages.getvalue())
            self._stderr.flush()
            self.messages.seek(0)
            self.messages.truncate()

    def show(self, report: SnapshotReport) -> None:
        """The latest report; on screen at once unless paused."""
        self._latest = (report, self._latest[0])
        if not self._frame.view.paused:
            self._redraw(self._frame.showing(report, self._latest[1]))

    def wait(self, seconds: float) -> None:
        """Keys for `seconds`; raises QuitRequested on `q`."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if Action.QUIT in self._actions(min(left, TICK_S)):
                raise QuitRequested

    def browse(self, reports: Sequence[SnapshotReport]) -> None:
        """A recording's reports, stepped through with the keys until `q`."""
        index, shown = 0, -1
        while reports:
            if index != shown:
                previous = reports[index - 1] if index else None
                position = f"snapshot {index + 1} of {len(reports)}"
                self._redraw(self._frame.showing(reports[index], previous, position))
                shown = index
            for action in self._actions(TICK_S):  # in the order pressed
                if action is Action.QUIT:
                    return
                step = {Action.NEXT: 1, Action.PREVIOUS: -1}.get(action, 0)
                index = min(max(index + step, 0), len(reports) - 1)

    def _actions(self, timeout: float) -> list[Action]:
        """What the keys pressed within `timeout` ask for; the screen redrawn as they
        change the view, or when the terminal was resized or a warning came."""
        actions = []
        shown = self._frame
        for key in self._keys.read(timeout):
            view, action = press(shown.view, key, replay=shown.replay)
            if shown.view.paused and not view.paused:  # resumed: the latest poll
                latest, before = self._latest
                shown = shown if latest is None else shown.showing(latest, before)
            shown = replace(shown, view=view)
            actions.append(action)
        resized = self._measure() != self._size
        if actions or resized or self.messages.last_line != shown.message:
            self._redraw(shown)
        return actions

    def _redraw(self, shown: Frame) -> None:
        self._frame = replace(shown, message=self.messages.last_line)
        self._size = self._measure()
        self._live.refresh()

    def _measure(self) -> tuple[int, int]:
        """The terminal's size as it is now: asked of the terminal itself, since COLUMNS and
        LINES (which rich would take first) may be left over from when it was smaller."""
        try:
            columns, lines = os.get_terminal_size(self._stdout.fileno())
        except (AttributeError, OSError, ValueError):  # not a terminal: rich's guess
            return self._console.size
        self._console.size = (columns, lines)
        return columns, lines
