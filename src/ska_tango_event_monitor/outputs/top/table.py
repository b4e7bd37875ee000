"""`--top`'s table: the orders rows can be sorted in, the filter, fitting rows to the
screen, and each row's cells as text. Pure: the screen only lays the cells out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.core.health import SEVERITY
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.units import duration
from ska_tango_event_monitor.outputs.top.rows import StreamRow

UNKNOWN = "–"


class Column(NamedTuple):
    title: str
    numeric: bool  # right-aligned
    width: int  # the least it is given: its title, or its usual values
    keep: int  # on a narrow screen, columns of the lowest `keep` go first (0: never)
    cut: int = 0  # names: cut with "…" to make room, the lowest `cut` first (0: never)


COLUMNS = (
    Column("SEVERITY", False, 8, 0),
    Column("STREAM", False, 24, 0, cut=3),
    Column("PUBLISHER -> SUBSCRIBER", False, 20, 0, cut=2),
    Column("PUSHED/s", True, 8, 7),
    Column("PROCESSED/s", True, 11, 8),
    Column("BACKLOG", True, 7, 0),
    Column("LAG", True, 5, 3),  # how far behind, the first question
    Column("MISSED", True, 6, 2),  # a loss is also among the findings
    Column("LATENCY p90", True, 11, 1),
    Column("CALLBACK", True, 8, 5),  # kept longer: it names a slow callback
    Column("VERDICT", False, 7, 4),
    Column("FINDINGS", False, 8, 6, cut=1),
)
SERVERS = 2  # the `publisher -> subscriber` column


def _descending(value: float | None) -> float:
    """Sorts the largest first and the unknown last."""
    return float("inf") if value is None else -value


def _severity(row: StreamRow) -> int:
    return 0 if row.severity is None else -int(row.severity) - 1  # ERROR first, none last


def _verdict(row: StreamRow) -> int:
    """STALLED first, then FALLING BEHIND, RESET, STOPPED; OK and not judged alike (no
    verdict against the stream), so that lag and backlog order those."""
    return 0 if row.verdict is None else -SEVERITY[row.verdict]


SortKey = Callable[[StreamRow], tuple[float | str, ...]]


@dataclass(frozen=True)
class Order:
    name: str  # as the header shows it
    key: SortKey


def _worst(row: StreamRow) -> tuple[float | str, ...]:
    """A lag not known yet (a publisher's first poll) counts as none, not last: the backlog
    then tells a stream already behind from one caught up."""
    return (
        _severity(row),
        _verdict(row),
        _descending(row.lag_s or 0.0),
        _descending(row.backlog),
        row.stream,
    )


def _by(value: Callable[[StreamRow], float | None]) -> SortKey:
    return lambda row: (_descending(value(row)), *_worst(row))


# `s` goes through these in turn; the first is the default: ERROR, WARNING, INFO, then the
# worst verdict, then by lag and backlog
ORDERS = (
    Order("worst", _worst),
    Order("backlog", _by(lambda row: row.backlog)),
    Order("lag", _by(lambda row: row.lag_s)),
    Order("pushed/s", _by(lambda row: row.pushed_per_s)),
    Order("processed/s", _by(lambda row: row.processed_per_s)),
    Order("latency", _by(lambda row: row.latency_s)),
    Order("callback", _by(lambda row: row.processing_s)),
    Order("missed", _by(lambda row: row.missed)),
    Order("stream", lambda row: (row.stream, *_worst(row))),
)


def ordered(rows: Sequence[StreamRow], order: Order = ORDERS[0]) -> list[StreamRow]:
    return sorted(rows, key=order.key)


def matching(rows: Sequence[StreamRow], text: str) -> list[StreamRow]:
    """Rows whose stream or servers contain `text`, in any letter case."""
    wanted = text.strip().lower()
    if not wanted:
        return list(rows)
    return [
        row
        for row in rows
        if wanted in row.stream.lower() or any(wanted in s.lower() for s in row.servers)
    ]


def fit(rows: Sequence[StreamRow], lines: int) -> tuple[list[StreamRow], int]:
    """The rows that fit in `lines` lines, and how many were left out: when some are, the
    last line says "N more"."""
    if len(rows) <= lines:
        return list(rows), 0
    shown = max(lines - 1, 0)
    return list(rows[:shown]), len(rows) - shown


def more_line(left_out: int) -> str:
    return f"… {left_out} more (/ to filter, s to sort)" if left_out else ""


def server_name(admin: str | None) -> str:
    """`MyServer/hw` of `dserver/MyServer/hw`: the server as `Executable/instance`."""
    if admin is None:
        return "?"
    name = short_name(admin)
    return name[len("dserver/") :] if name.lower().startswith("dserver/") else name


def cells(row: StreamRow) -> tuple[str, ...]:
    """The row's text, one cell per column of COLUMNS."""
    return (
        "" if row.severity is None else str(row.severity),
        row.stream,
        _servers(row),
        _rate(row.pushed_per_s),
        _rate(row.processed_per_s),
        UNKNOWN if row.backlog is None else str(row.backlog),
        _lag(row),
        UNKNOWN if row.missed is None else str(row.missed),
        _seconds(row.latency_s),
        _seconds(row.processing_s),
        UNKNOWN if row.verdict is None else str(row.verdict),
        ", ".join(row.findings),
    )


def _servers(row: StreamRow) -> str:
    if row.server is not None:  # a finding's own row: one server
        return server_name(row.server)
    return f"{server_name(row.publisher)} -> {server_name(row.subscriber)}"


def _rate(per_second: float | None) -> str:
    return UNKNOWN if per_second is None else f"{per_second:.1f}"


def _lag(row: StreamRow) -> str:
    """`14.2 s`, `≥30.0 s` when its event is older than the history kept, `0.0 s` caught up:
    in seconds always, as the text report's `14.2 s behind`."""
    if row.lag_s is None:
        return UNKNOWN
    return f"{'≥' if row.lag_at_least else ''}{row.lag_s:.1f} s"


def _seconds(value: float | None) -> str:
    return UNKNOWN if value is None else duration(value * 1e6)


# the colour of a row, by the severity of its worst finding
SEVERITY_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}


def style(row: StreamRow) -> str:
    return "" if row.severity is None else SEVERITY_STYLES[row.severity]
