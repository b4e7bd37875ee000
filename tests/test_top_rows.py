"""`--top`'s row model on recordings of real servers: rows, order, filter, fitting, cells.

The recordings in tests/data were made with the real monitor on real servers (see
scenarios.md there). Expected numbers are read from the raw replies, not from the rows.
No Tango, no terminal: the pure modules of `outputs/top` only.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA
from helpers import run_cli
from ska_tango_event_monitor.core.findings import Analyser, Severity
from ska_tango_event_monitor.core.health import Verdict
from ska_tango_event_monitor.core.session import MonitorSession, SnapshotReport
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.outputs.top.header import header_lines, header_of
from ska_tango_event_monitor.outputs.top.layout import columns_for, cut_pair, widths
from ska_tango_event_monitor.outputs.top.rows import StreamRow, stream_rows
from ska_tango_event_monitor.outputs.top.table import (
    COLUMNS,
    ORDERS,
    UNKNOWN,
    cells,
    fit,
    matching,
    more_line,
    ordered,
    style,
)
from ska_tango_event_monitor.recording import read_recording

RING = DATA / "scenario_ring50_slow_node.jsonl.gz"
KEEPALIVE = DATA / "scenario_keepalive.jsonl"
SCAN = DATA / "slow_callback_scan.jsonl"
RESTART = DATA / "scenario_publisher_restart.jsonl"
NOT_CONNECTED = DATA / "scenario_not_connected.jsonl"


def reports(path: Path, analysis: bool = True) -> list[SnapshotReport]:
    session = MonitorSession(Analyser() if analysis else None)
    return [session.update(snapshot) for snapshot in read_recording(path)]


def rows_at(path: Path, index: int) -> list[StreamRow]:
    found = reports(path)
    return ordered(stream_rows(found[index]))


def raw_replies(path: Path, index: int) -> dict[str, dict[str, Any]]:
    """The replies of one poll as recorded: admin device -> reply."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as text:
        line = text.readlines()[index]
    return {entry["admin"]: entry.get("reply") for entry in json.loads(line)["servers"]}


def ends(name: str) -> str:
    """`ring/sensor/18/temperature` of `tango://h:1/ring/sensor/18/temperature.change`."""
    return name.split("/", 3)[3].rsplit(".", 1)[0]


def raw_backlog(replies: dict[str, dict[str, Any]], subscriber: str, attribute: str) -> int:
    """Last pushed (the publisher's next counter - 1) minus last received, from the replies."""
    pushed = next(
        counter - 1
        for reply in replies.values()
        if reply and reply["server"]
        for stream, counter in reply["server"]["event_counters"].items()
        if ends(stream) == attribute
    )
    topics = replies[subscriber]["client"]["event_callbacks"]
    received = next(t["server_counter"] for name, t in topics.items() if ends(name) == attribute)
    return pushed - received


# -- the rows of real recordings ----------------------------------------------------------------


def test_the_slow_node_of_fifty_servers_is_on_the_first_rows() -> None:
    rows = rows_at(RING, -1)
    replies = raw_replies(RING, -1)
    assert len(rows) == 150  # 50 servers, 3 streams each, each received by one other server
    slow = rows[:3]
    assert {row.subscriber for row in slow} == {"dserver/RingNode/17"}
    assert {row.publisher for row in slow} == {"dserver/RingNode/18"}
    assert {row.stream for row in slow} == {
        f"ring/sensor/18/{name}.change" for name in ("temperature", "pressure", "humidity")
    }
    for row in slow:
        attribute = row.stream.removesuffix(".change")
        assert row.backlog == raw_backlog(replies, "dserver/RingNode/17", attribute) >= 5
        assert row.severity is Severity.WARNING and "backlog" in row.findings
        assert "saturated" in row.findings  # a whole-server finding, on its subscriber's rows
    assert all(row.severity is None and row.backlog in (0, 1) for row in rows[3:])


def test_rows_carry_rates_latency_and_callback_time_of_their_stream() -> None:
    rows = {(row.subscriber, row.stream): row for row in rows_at(RING, -1)}
    slow = rows[("dserver/RingNode/17", "ring/sensor/18/temperature.change")]
    healthy = rows[("dserver/RingNode/16", "ring/sensor/17/temperature.change")]
    # pushed every 0.5 s; the temperature callback of RingNode/17 sleeps 0.6 s
    assert slow.pushed_per_s == pytest.approx(2.0, abs=0.1)
    assert healthy.pushed_per_s == healthy.processed_per_s == pytest.approx(2.0, abs=0.1)
    assert 0.6 <= slow.processing_s < 0.61
    assert healthy.processing_s < 0.01
    assert slow.latency_s > 3 and healthy.latency_s < 0.01  # queued behind the slow ones
    assert slow.missed == 0
    # the report's stream health: behind by the backlog's push time, the others caught up
    assert (slow.verdict, healthy.verdict) == (Verdict.FALLING_BEHIND, Verdict.OK)
    assert slow.lag_s == pytest.approx(slow.backlog / slow.pushed_per_s, abs=1.0)
    assert healthy.lag_s == 0.0 and cells(healthy)[6] == "0.0 s"


def test_the_first_report_has_no_rates_yet() -> None:
    rows = rows_at(RING, 0)
    assert {row.pushed_per_s for row in rows} == {None}
    assert {row.processed_per_s for row in rows} == {None}
    assert cells(rows[0])[3:5] == (UNKNOWN, UNKNOWN)


def test_a_stuck_subscriber_is_an_error_row_above_the_healthy_one() -> None:
    rows = rows_at(KEEPALIVE, -1)
    replies = raw_replies(KEEPALIVE, -1)
    assert [row.subscriber for row in rows] == ["dserver/EventLab/stuck", "dserver/EventLab/sink"]
    stuck, healthy = rows
    assert stuck.severity is Severity.ERROR
    assert stuck.backlog == raw_backlog(replies, "dserver/EventLab/stuck", "lab/source/1/value")
    assert stuck.processed_per_s == 0.0  # known: the counter stood still since the last poll
    assert stuck.latency_s is None  # its perf list is empty: no sample, no latency
    assert healthy.severity is None and healthy.backlog == 0
    assert healthy.processed_per_s == pytest.approx(2.0, abs=0.1)


def test_the_tutorial_scan_shows_the_position_stream_first_while_its_backlog_grows() -> None:
    found = reports(SCAN)
    first_rows = [ordered(stream_rows(report))[0] for report in found[1:]]
    assert first_rows[0].stream == first_rows[1].stream == "foo/bar/hw/position.change"
    assert first_rows[1].backlog > first_rows[0].backlog > 0
    assert first_rows[1].severity is Severity.WARNING


def test_a_finding_on_no_stream_row_gets_a_row_of_its_own() -> None:
    restart = reports(RESTART)
    silent = ordered(stream_rows(restart[3]))
    assert (silent[0].stream, silent[0].server, silent[0].findings) == (
        "–",
        "dserver/EventLab/pub",
        ("no reply",),
    )
    assert silent[0].severity is Severity.ERROR and cells(silent[0])[2] == "EventLab/pub"
    ghost = rows_at(NOT_CONNECTED, 1)[0]
    assert (ghost.stream, ghost.findings) == ("lab/ghost/1/value.change", ("not connected",))
    assert cells(ghost)[2] == "? -> EventLab/sink"  # its publisher is not monitored


def test_without_analysis_rows_have_no_rates_and_no_severity() -> None:
    found = reports(KEEPALIVE, analysis=False)
    rows = stream_rows(found[-1])
    assert rows and all(row.severity is None and row.pushed_per_s is None for row in rows)
    assert {row.backlog for row in rows} == {583, 0}  # backlogs need no analysis


# -- lag and verdict: what the JSON output's health says, at each snapshot ----------------------

SCAN_AND_DRAIN = DATA / "scenario_scan_and_drain.jsonl"
BLOCKED = DATA / "scenario_blocked_forever.jsonl"
LAG, VERDICT = 6, 10  # in COLUMNS


def json_health(path: Path) -> list[dict[tuple[str, str], dict[str, Any]]]:
    """Per snapshot, `--replay FILE --format json`'s health entries by (subscriber, stream)."""
    status, out, err = run_cli("--replay", str(path), "--format", "json")
    assert status == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    return [
        {(h["subscriber"], stream_key(h["topic"])): h for h in line["health"]}
        for line in lines
        if "health" in line
    ]


def shown_as(entry: dict[str, Any]) -> tuple[str, str]:
    """The LAG and VERDICT cells a health entry reads as: `≥` for "at least", the verdict's
    words (`FALLING_BEHIND` in JSON, `FALLING BEHIND` on the screen)."""
    lag = entry["lag_s"]
    lag_text = UNKNOWN if lag is None else f"{'≥' if entry['lag_at_least'] else ''}{lag:.1f} s"
    verdict = entry["verdict"]
    return lag_text, UNKNOWN if verdict is None else verdict.replace("_", " ")


@pytest.mark.parametrize("path", [SCAN_AND_DRAIN, BLOCKED], ids=lambda p: p.name)
def test_lag_and_verdict_cells_are_the_json_health_of_their_snapshot(path: Path) -> None:
    found, health = reports(path), json_health(path)
    assert len(found) == len(health)
    judged = 0
    for report, entries in zip(found, health, strict=True):
        rows = {(row.subscriber, row.stream): cells(row) for row in stream_rows(report)}
        for key, entry in entries.items():
            assert (rows[key][LAG], rows[key][VERDICT]) == shown_as(entry), key
            judged += entry["verdict"] is not None
        for key in rows.keys() - entries.keys():  # no health: not known, not invented
            assert (rows[key][LAG], rows[key][VERDICT]) == (UNKNOWN, UNKNOWN), key
    assert judged > len(found)  # most snapshots judge their streams


def test_the_scan_falls_behind_with_a_growing_lag_and_is_ok_after_the_drain() -> None:
    """tests/data/scenario_scan_and_drain.truth.json: the scan runs from poll 2 to 26; the
    position stream's oldest waiting event is that old (within one 1 s poll) at each poll."""
    truth = json.loads(SCAN_AND_DRAIN.with_suffix(".truth.json").read_text())
    found = reports(SCAN_AND_DRAIN)
    position = "foo/bar/hw/position.change"
    lags = []
    for poll in truth["polls"]:
        [row] = [r for r in stream_rows(found[poll["poll"]]) if r.stream == position]
        [true] = [s for s in poll["streams"] if s["stream"] == position]
        if true["received"]:  # a backlog once the subscriber has received something
            assert row.backlog == true["behind"]
        if row.lag_s is not None:
            assert row.lag_s == pytest.approx(true["oldest_waiting_s"], abs=1.0)
        lags.append((poll["poll"], row.lag_s, row.verdict))
    behind = [lag for _, lag, verdict in lags if verdict is Verdict.FALLING_BEHIND]
    assert len(behind) >= 10 and behind == sorted(behind)  # growing poll after poll
    drained = next(
        p["poll"] for p in truth["polls"] if p["poll"] > 3 and not p["streams"][1]["behind"]
    )
    assert {(lag, verdict) for poll, lag, verdict in lags if poll > drained} == {(0.0, Verdict.OK)}


def test_a_stalled_stream_is_above_one_falling_behind_with_a_bigger_backlog() -> None:
    """The mode event queued behind the position events: STALLED with 1 event waiting,
    above the position stream FALLING BEHIND with dozens (both WARNING rows)."""
    found = reports(SCAN_AND_DRAIN)
    orders = [ordered(stream_rows(report)) for report in found]
    stalled = [rows for rows in orders if Verdict.STALLED in {r.verdict for r in rows}]
    assert all(rows[0].verdict is Verdict.STALLED for rows in stalled)
    above = [
        (first, second)
        for first, second in stalled
        if second.verdict is Verdict.FALLING_BEHIND and first.backlog < second.backlog
    ]
    assert len(above) >= 5
    for first, second in above:
        assert (first.stream, second.stream) == (
            "foo/bar/hw/mode.change",
            "foo/bar/hw/position.change",
        )
        assert first.severity == second.severity  # the verdict decides, not the finding
        assert cells(first)[VERDICT] == "STALLED" and cells(second)[VERDICT] == "FALLING BEHIND"


def test_a_blocked_subscriber_is_stalled_above_its_healthy_twin() -> None:
    """tests/data/scenario_blocked_forever.truth.json: lab/sink/2 (EventLab/blocked) is
    blocked after poll 2; EventLab/sink receives the same streams and stays caught up."""
    rows = ordered(stream_rows(reports(BLOCKED)[-1]))
    assert [(r.subscriber, r.verdict) for r in rows] == [
        ("dserver/EventLab/blocked", Verdict.STALLED),
        ("dserver/EventLab/blocked", Verdict.STALLED),
        ("dserver/EventLab/sink", Verdict.OK),
        ("dserver/EventLab/sink", Verdict.OK),
    ]
    assert all(r.lag_s > 5 for r in rows[:2]) and {r.lag_s for r in rows[2:]} == {0.0}


# -- order, filter, fitting ---------------------------------------------------------------------


def row(stream: str, **fields: Any) -> StreamRow:
    return StreamRow(stream, "dserver/A/1", "dserver/B/1", **fields)


def test_worst_first_is_errors_then_warnings_then_lag_then_backlog() -> None:
    rows = [
        row("a.change", backlog=100),
        row("b.change", backlog=1, severity=Severity.WARNING),
        row("c.change", backlog=0, severity=Severity.ERROR),
        row("d.change", backlog=50, severity=Severity.WARNING),
        row("e.change", backlog=3, lag_s=9.0),
        row("f.change", severity=Severity.INFO),
    ]
    assert [r.stream[0] for r in ordered(rows)] == list("cdbfea")


def test_worst_first_puts_the_worse_verdict_before_lag_and_backlog() -> None:
    """Within a severity: STALLED, FALLING BEHIND, RESET, STOPPED, then OK and not judged
    alike (by lag, then backlog)."""
    rows = [
        row("ok.change", backlog=90, lag_s=8.0, verdict=Verdict.OK),
        row("unjudged.change", backlog=70, lag_s=9.0),
        row("stopped.change", backlog=0, lag_s=0.0, verdict=Verdict.STOPPED),
        row("stalled.change", backlog=1, lag_s=1.0, verdict=Verdict.STALLED),
        row("reset.change", backlog=5, verdict=Verdict.RESET),
        row("behind.change", backlog=40, lag_s=4.0, verdict=Verdict.FALLING_BEHIND),
        row("error.change", backlog=0, verdict=Verdict.OK, severity=Severity.ERROR),
    ]
    assert [r.stream.split(".")[0] for r in ordered(rows)] == [
        "error",  # a finding's severity first: the row's colour
        "stalled",
        "behind",
        "reset",
        "stopped",
        "unjudged",
        "ok",
    ]


def test_each_sort_puts_its_largest_first_and_unknowns_last() -> None:
    rows = [row("a.change", pushed_per_s=None), row("b.change", pushed_per_s=1.0)]
    rows.append(row("c.change", pushed_per_s=9.0))
    by_pushed = next(order for order in ORDERS if order.name == "pushed/s")
    assert [r.stream[0] for r in ordered(rows, by_pushed)] == list("cba")
    assert ORDERS[0].name == "worst" and len({order.name for order in ORDERS}) == len(ORDERS)


def test_the_filter_matches_streams_and_servers_in_any_case() -> None:
    rows = rows_at(RING, -1)
    assert {r.stream for r in matching(rows, "SENSOR/18/TEMP")} == {
        "ring/sensor/18/temperature.change"
    }
    assert len(matching(rows, "ringnode/17")) == 6  # its 3 inputs and its 3 outputs
    assert matching(rows, "") == rows and matching(rows, "nothing such") == []


@pytest.mark.parametrize(
    ("count", "lines", "shown", "left_out"),
    [(5, 10, 5, 0), (5, 5, 5, 0), (6, 5, 4, 2), (6, 1, 0, 6), (6, 0, 0, 6), (3, -2, 0, 3)],
)
def test_rows_are_fitted_with_a_more_line(count: int, lines: int, shown: int, left_out: int):
    rows = [row(f"s{n}.change") for n in range(count)]
    visible, more = fit(rows, lines)
    assert (len(visible), more) == (shown, left_out)
    assert visible == rows[:shown]
    assert more_line(more).startswith(f"… {left_out} more") if more else more_line(more) == ""


# -- cells and columns --------------------------------------------------------------------------


def test_cells_show_numbers_in_their_units_and_a_dash_where_unknown() -> None:
    shown = cells(
        row(
            "foo/bar/hw/position.change",
            pushed_per_s=9.96,
            processed_per_s=3.0,
            backlog=46,
            missed=0,
            latency_s=4.2,
            processing_s=0.3006,
            lag_s=14.249,
            verdict=Verdict.FALLING_BEHIND,
            severity=Severity.WARNING,
            findings=("backlog", "latency"),
        )
    )
    assert shown == (
        "WARNING",
        "foo/bar/hw/position.change",
        "A/1 -> B/1",
        "10.0",
        "3.0",
        "46",
        "14.2 s",
        "0",
        "4.2 s",
        "300.6 ms",
        "FALLING BEHIND",
        "backlog, latency",
    )
    assert len(shown) == len(COLUMNS)
    assert cells(row("x.change"))[LAG :: VERDICT - LAG] == (UNKNOWN, UNKNOWN)  # not judged
    assert cells(row("x.change", lag_s=30.04, lag_at_least=True))[LAG] == "≥30.0 s"
    assert cells(row("x.change", lag_s=0.0, verdict=Verdict.OK))[LAG :: VERDICT - LAG] == (
        "0.0 s",
        "OK",
    )
    assert style(row("x.change", severity=Severity.ERROR)) == "bold red"
    assert style(row("x.change")) == ""


def test_a_narrow_screen_drops_the_least_needed_columns_and_cuts_the_names() -> None:
    every = list(range(len(COLUMNS)))
    assert columns_for(400) == every
    narrow = [COLUMNS[i].title for i in columns_for(80)]
    assert {"SEVERITY", "STREAM", "PUBLISHER -> SUBSCRIBER", "BACKLOG"} <= set(narrow)
    assert "VERDICT" not in narrow and len(narrow) < len(COLUMNS)
    text = [cells(r) for r in rows_at(RING, -1)]
    chosen = columns_for(80)
    fitted = widths(chosen, text, 80)
    assert sum(fitted) + 2 * (len(fitted) - 1) <= 80
    stream = chosen.index(1)
    assert fitted[stream] >= COLUMNS[1].width  # the stream is cut last
    assert sum(widths(chosen, text, 10)) < sum(fitted)  # tiny: cut further, no error


def test_publisher_and_subscriber_are_both_kept_when_cut() -> None:
    assert cut_pair("RingNode/18 -> RingNode/17", 40) == "RingNode/18 -> RingNode/17"
    assert cut_pair("RingNode/18 -> RingNode/17", 16) == "Ri…/18 -> Ri…/17"  # the instances
    assert cut_pair("? -> MyServer/top", 12) == "? -> My…/top"
    assert cut_pair("RingNode/18 -> RingNode/17", 8) == "R… -> R…"


# -- the header ---------------------------------------------------------------------------------


def test_the_header_counts_servers_and_names_the_worst_finding() -> None:
    restart = reports(RESTART)
    header = header_of(restart[3], restart[2])
    assert (header.answering, header.not_answering) == (1, ("dserver/EventLab/pub",))
    poll, worst = header_lines(header)
    assert "1 answering, 1 not answering (EventLab/pub)" in poll
    assert worst.startswith("worst finding: ERROR no reply EventLab/pub: ")
    keepalive = reports(KEEPALIVE)
    poll, worst = header_lines(header_of(keepalive[-1], keepalive[-2]))
    assert "3 answering, 0 not answering" in poll and "2.0 pushed/s" in poll
    assert worst.startswith("worst finding: ERROR backlog EventLab/stuck lab/source/1/value")
    assert header_of(keepalive[0], None).pushed_per_s is None  # no rate from one reply


def recordings() -> Iterator[Path]:
    yield from sorted(DATA.glob("*.jsonl*"))


@pytest.mark.parametrize("path", list(recordings()), ids=lambda p: p.name)
def test_every_recording_gives_rows_and_cells(path: Path) -> None:
    for report in reports(path):
        rows = stream_rows(report)
        for shown in map(cells, ordered(rows)):
            assert len(shown) == len(COLUMNS) and all(isinstance(c, str) for c in shown)
        for health in report.health:  # each stream judged is on exactly one row
            [judged] = [
                r for r in rows if (r.subscriber, r.topic) == (health.subscriber, health.topic)
            ]
            assert (judged.lag_s, judged.verdict) == (health.lag_s, health.verdict)
