"""`--top`'s columns on a screen of a given width: which are shown, and how wide each is.
Pure. A narrow screen drops the columns least needed first; then the names (findings,
servers, stream) are cut to what is left."""

from __future__ import annotations

from collections.abc import Sequence

from ska_tango_event_monitor.outputs.top.table import COLUMNS

GAP = 2  # between columns
MOST_NEEDED = 2  # names of this `cut` or later are kept whole if columns can go instead
TINY = 4  # the least a name is cut to: "ri…" still tells one row from another


def columns_for(width: int, rows: Sequence[Sequence[str]] = ()) -> list[int]:
    """The columns (indices in COLUMNS) that fit in `width`: the stream and the servers
    whole (names cut last, FINDINGS first), the others at their least widths."""
    chosen = list(range(len(COLUMNS)))
    droppable = sorted((c.keep, i) for i, c in enumerate(COLUMNS) if c.keep)
    needed = [_needed(i, rows) for i in chosen]
    while droppable and _total([needed[i] for i in chosen]) > width:
        chosen.remove(droppable.pop(0)[1])
    return chosen


def _needed(index: int, rows: Sequence[Sequence[str]]) -> int:
    column = COLUMNS[index]
    if column.cut < MOST_NEEDED:
        return column.width
    return max([column.width, *(len(cells[index]) for cells in rows)])


def widths(chosen: Sequence[int], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """The width of each chosen column: its widest cell or title; the names cut until the
    table fits in `width`, one after the other (findings, servers, then the stream) to
    their least width, then on a tiny screen to `TINY` (the terminal cuts the rest)."""
    wanted = []
    for i in chosen:
        column = COLUMNS[i]
        widest = max([len(column.title), *(len(cells[i]) for cells in rows)])
        wanted.append(widest if column.cut else max(widest, column.width))
    names = sorted((COLUMNS[i].cut, n) for n, i in enumerate(chosen) if COLUMNS[i].cut)
    for tiny in (False, True):
        for _, n in names:
            floor = TINY if tiny else min(COLUMNS[chosen[n]].width, wanted[n])
            wanted[n] = max(floor, wanted[n] - max(_total(wanted) - width, 0))
    return wanted


def cut_pair(text: str, width: int) -> str:
    """`publisher -> subscriber` in `width`, both cut (not the subscriber lost at the end)."""
    left, arrow, right = text.partition(" -> ")
    if not arrow or len(text) <= width:
        return text
    room = max(width - len(arrow), 2)
    first = max(room // 2, room - len(right))
    return _cut(left, first) + arrow + _cut(right, room - min(first, len(left)))


def _cut(server: str, width: int) -> str:
    """`Ri…/17` of `RingNode/17`: the executable cut before the instance, which tells
    servers of one executable apart."""
    if len(server) <= width:
        return server
    executable, slash, instance = server.partition("/")
    keep = width - len(instance) - 2  # 2: "…/"
    if slash and keep >= 1:
        return f"{executable[:keep]}…/{instance}"
    return server[: max(width - 1, 0)] + "…"


def _total(column_widths: Sequence[int]) -> int:
    return sum(column_widths) + GAP * max(len(column_widths) - 1, 0)
