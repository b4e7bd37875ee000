"""`--top`'s screen as `rich` renderables: header, table, "N more", the last warning.

No I/O: `frame` lays out one snapshot for a screen of a given height; the screen module
draws it. Every row takes one line (cells are cut with "…", never wrapped), so the table
fits the screen by counting rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ska_tango_event_monitor.core.session import SnapshotReport
from ska_tango_event_monitor.outputs.top.controls import HELP_LIVE, HELP_REPLAY, ViewState
from ska_tango_event_monitor.outputs.top.header import header_lines, header_of
from ska_tango_event_monitor.outputs.top.layout import GAP, columns_for, cut_pair, widths
from ska_tango_event_monitor.outputs.top.rows import StreamRow, stream_rows
from ska_tango_event_monitor.outputs.top.table import (
    COLUMNS,
    SERVERS,
    SEVERITY_STYLES,
    cells,
    fit,
    matching,
    more_line,
    ordered,
    style,
)

HEADER_LINES = 3  # the poll, the worst finding, the view's state and keys
TITLE = "ska-tango-event-monitor --top"


@dataclass(frozen=True)
class Frame:
    """What one screen shows; `rows` in order and filtered, before fitting."""

    report: SnapshotReport | None
    previous: SnapshotReport | None  # the header's totals are known from a second report
    view: ViewState
    position: str = ""  # in a replay: `snapshot 3 of 10`
    message: str = ""  # the last warning, held while the screen is full
    replay: bool = False
    # the report's rows, made once per report (keys and resizes redraw the same rows)
    all_rows: tuple[StreamRow, ...] | None = None

    def showing(
        self, report: SnapshotReport, previous: SnapshotReport | None, position: str = ""
    ) -> Frame:
        rows = tuple(stream_rows(report))
        return replace(self, report=report, previous=previous, position=position, all_rows=rows)

    def rows(self) -> list[StreamRow]:
        if self.report is None:
            return []
        found = self.all_rows
        if found is None:
            found = tuple(stream_rows(self.report))
        return ordered(matching(found, self.view.filter), self.view.sort)


def frame(shown: Frame, width: int, height: int) -> Group:
    """The whole screen, for a terminal of `width` columns and `height` lines."""
    parts: list[Text | Table] = [*_header(shown)]
    rows = shown.rows()
    room = height - HEADER_LINES - 1 - (1 if shown.message else 0)  # 1: the column titles
    visible, left_out = fit(rows, room)
    parts.append(_table(visible, width))
    if left_out:
        parts.append(Text(more_line(left_out), style="dim", no_wrap=True, overflow="ellipsis"))
    if shown.message:
        parts.append(Text(shown.message, style="magenta", no_wrap=True, overflow="ellipsis"))
    return Group(*parts)


def _header(shown: Frame) -> list[Text]:
    status = _status(shown)
    if shown.report is None:
        return [_line(f"{TITLE}  waiting for the first poll"), _line(""), _line(status)]
    header = header_of(shown.report, shown.previous)
    poll, worst = header_lines(header)
    worst_style = SEVERITY_STYLES.get(header.worst.severity, "") if header.worst else ""
    return [_line(poll, "bold"), _line(worst, worst_style), _line(status, "dim")]


def _status(shown: Frame) -> str:
    view = shown.view
    parts = [f"sort: {view.sort.name}"]
    if view.typing is not None:
        parts.append(f"filter: {view.typing}▏ (Enter keeps, Esc clears)")
    elif view.filter:
        parts.append(f"filter: {view.filter} (Esc clears)")
    if view.paused:
        parts.append("PAUSED (p resumes)")
    if shown.position:
        parts.append(shown.position)
    parts.append("keys: " + (HELP_REPLAY if shown.replay else HELP_LIVE))
    return "  ".join(parts)


def _line(text: str, line_style: str = "") -> Text:
    return Text(text, style=line_style, no_wrap=True, overflow="ellipsis")


def _table(rows: list[StreamRow], width: int) -> Table:
    text = [cells(row) for row in rows]
    chosen = columns_for(width, text)
    table = Table(
        box=None,
        pad_edge=False,
        header_style="bold reverse",
        show_edge=False,
        padding=(0, GAP // 2),
    )
    column_widths = widths(chosen, text, width)
    for index, column_width in zip(chosen, column_widths, strict=True):
        column = COLUMNS[index]
        table.add_column(
            column.title,
            justify="right" if column.numeric else "left",
            no_wrap=True,
            overflow="ellipsis",
            width=column_width,
        )
    for row, row_text in zip(rows, text, strict=True):
        shown = [row_text[i] for i in chosen]
        if SERVERS in chosen:  # cut on both sides of the arrow
            n = chosen.index(SERVERS)
            shown[n] = cut_pair(shown[n], column_widths[n])
        table.add_row(*shown, style=style(row))
    return table
