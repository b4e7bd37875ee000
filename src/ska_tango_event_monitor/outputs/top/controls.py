"""`--top`'s keys: what each one does to the view. Pure: keys come in as names (see
`keys.decode`), the view state is plain data, the screen acts on the `Action`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from ska_tango_event_monitor.outputs.top.table import ORDERS, Order

HELP_LIVE = "q quit  s sort  / filter  p pause"
HELP_REPLAY = "q quit  space/→ next  ← previous  s sort  / filter"


class Action(enum.Enum):
    NONE = "none"
    REDRAW = "redraw"
    QUIT = "quit"
    NEXT = "next"  # snapshot, in a replay
    PREVIOUS = "previous"


@dataclass(frozen=True)
class ViewState:
    order: int = 0  # index in ORDERS
    filter: str = ""
    typing: str | None = None  # the filter being typed after `/`, until Enter or Esc
    paused: bool = False

    @property
    def sort(self) -> Order:
        return ORDERS[self.order]


_STEPS = {" ": Action.NEXT, "right": Action.NEXT, "down": Action.NEXT}
_STEPS |= {"left": Action.PREVIOUS, "up": Action.PREVIOUS, "backspace": Action.PREVIOUS}


def press(state: ViewState, key: str, replay: bool = False) -> tuple[ViewState, Action]:
    """The state after `key`, and what the screen must do."""
    if state.typing is not None:
        return _typing(state, key)
    if key == "q":
        return state, Action.QUIT
    if key == "s":
        return replace(state, order=(state.order + 1) % len(ORDERS)), Action.REDRAW
    if key == "/":
        return replace(state, typing=state.filter), Action.REDRAW
    if key == "escape" and state.filter:
        return replace(state, filter=""), Action.REDRAW
    if replay:
        return state, _STEPS.get(key, Action.NONE)
    if key == "p":
        return replace(state, paused=not state.paused), Action.REDRAW
    return state, Action.NONE


def _typing(state: ViewState, key: str) -> tuple[ViewState, Action]:
    """Enter keeps the filter typed, Esc drops it; the rows follow every key typed."""
    typed = state.typing or ""
    if key == "enter":
        return replace(state, filter=typed, typing=None), Action.REDRAW
    if key == "escape":
        return replace(state, filter="", typing=None), Action.REDRAW
    if key == "backspace":
        typed = typed[:-1]
    elif len(key) == 1 and key.isprintable():
        typed += key
    else:
        return state, Action.NONE
    return replace(state, typing=typed, filter=typed), Action.REDRAW
