"""The text report against the tutorial's own output, and a golden file of a real run."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ska_tango_event_monitor.core.performance import PerformanceRow, PerformanceTable
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll, Snapshot
from ska_tango_event_monitor.core.statistics import Summary
from ska_tango_event_monitor.outputs.text import SNAPSHOT_SEPARATOR, render_snapshot, render_table
from ska_tango_event_monitor.recording import read_recording

GOLDEN = Path(__file__).parent / "golden"
HOST = "tango://tango-db:10000/"
HW, TOP = "dserver/MyServer/hw", "dserver/MyServer/top"


def hw_reply(mode: int, position: int) -> dict:
    """Raw event_counters are the NEXT counter: last pushed + 1."""
    counters = {f"{HOST}foo/bar/hw/mode.change": mode + 1}
    counters[f"{HOST}foo/bar/hw/position.change"] = position + 1
    return {"version": 1, "server": {"event_counters": counters, "perf": None}, "client": None}


def subscription(
    counter: int, callbacks: int = 1, discarded: int = 0, events: int | None = None
) -> dict:
    return {
        "channel_name": f"{HOST}dserver/myserver/hw",
        "callback_count": callbacks,
        "server_counter": counter,
        "event_count": counter if events is None else events,
        "missed_event_count": 0,
        "discarded_event_count": discarded,
        "last_resubscribed": None,
    }


def top_reply(mode: dict, position: dict) -> dict:
    callbacks = {
        f"{HOST}foo/bar/hw/mode.idl5_change": mode,
        f"{HOST}foo/bar/hw/position.idl5_change": position,
    }
    client = {
        "event_callbacks": callbacks,
        "not_connected": [],
        "event_channels": {},
        "perf": None,
    }
    return {"version": 1, "server": None, "client": client}


def snapshot(time: str, hw: dict, top: dict) -> Snapshot:
    return Snapshot(
        datetime.fromisoformat(time),
        (
            ServerPoll(f"{HOST}{HW}", (f"{HOST}foo/bar/hw",), reply=hw),
            ServerPoll(TOP, ("foo/bar/top",), reply=top),
        ),
    )


TUTORIAL_FIRST_SNAPSHOT = """\
===============================================2026-03-17T12:21:25.321968===============================================
-----------------------------------------dserver/MyServer/hw (from foo/bar/hw)------------------------------------------
- New publishers
            foo/bar/hw/mode.change: 4 is the last pushed server counter
        foo/bar/hw/position.change: 256 is the last pushed server counter
----------------------------------------dserver/MyServer/top (from foo/bar/top)-----------------------------------------
- New subscriptions
            foo/bar/hw/mode.idl5_change: 4 events already processed
                                       : 4 is the last received server counter
                                       : 1 callback(s) registered
                                       : 0 missed events detected
                                       : 2 events discarded
        foo/bar/hw/position.idl5_change: 256 events already processed
                                       : 256 is the last received server counter
                                       : 1 callback(s) registered
                                       : 0 missed events detected
                                       : 0 events discarded
===============================================2026-03-17T12:21:25.321968==============================================="""

TUTORIAL_SCAN_SNAPSHOT = """\
===============================================2026-03-17T11:14:43.725534===============================================
-----------------------------------------dserver/MyServer/hw (from foo/bar/hw)------------------------------------------
- Published events
            foo/bar/hw/mode.change: 2 -> 3 (+1) last pushed server counter
        foo/bar/hw/position.change: 128 -> 175 (+47) last pushed server counter
----------------------------------------dserver/MyServer/top (from foo/bar/top)-----------------------------------------
- Received events and callback changes
            foo/bar/hw/mode.idl5_change: 2 -> 3 (+1) events processed
                                       : 2 -> 3 (+1) last received server counter
                                       : 1 -> 2 (+1) callbacks
        foo/bar/hw/position.idl5_change: 128 -> 144 (+16) events processed
                                       : 128 -> 144 (+16) last received server counter
===============================================2026-03-17T11:14:43.725534==============================================="""

TUTORIAL_QUIET_SNAPSHOT = """\
===============================================2026-03-13T16:35:43.689001===============================================
-----------------------------------------dserver/MyServer/hw (from foo/bar/hw)------------------------------------------

----------------------------------------dserver/MyServer/top (from foo/bar/top)-----------------------------------------

===============================================2026-03-13T16:35:43.689001==============================================="""

TUTORIAL_CLIENT_TABLE = """\
                                     mean      median  count  minimum  maximum   1%   10%     90%    99%
               Event Gaps [ms]  991.47±688.67  300.91    20     0.13   14413.12      300.42  301.52
               Sleep Time [ms]  720.68±702.40   0.02     20     0.01   14412.92       0.01    0.12
                   Latency [s]    1.71±0.25     1.70     20     0.00     3.61         0.02    3.39
              Callbacks called    1.05±0.05     1.00     20     1.00     2.00         1.00    1.00
                    Wake Count    1.40±0.39     1.00     20     1.00     9.00         1.00    1.00
     mode Processing Time [μs]   127.00±0.00   127.00    1     127.00   127.00
 position Processing Time [ms]   300.83±0.08   300.83    19    300.39   301.50       300.45  301.36"""


def test_first_snapshot_is_the_tutorials() -> None:
    first = snapshot(
        "2026-03-17T12:21:25.321968",
        hw_reply(mode=4, position=256),
        top_reply(subscription(4, discarded=2), subscription(256)),
    )
    assert render_snapshot(MonitorSession().update(first)) == TUTORIAL_FIRST_SNAPSHOT


def test_changes_during_a_scan_are_the_tutorials() -> None:
    session = MonitorSession()
    session.update(
        snapshot(
            "2026-03-17T11:14:33.715534",
            hw_reply(mode=2, position=128),
            top_reply(subscription(2, discarded=1), subscription(128)),
        )
    )
    during_scan = snapshot(
        "2026-03-17T11:14:43.725534",
        hw_reply(mode=3, position=175),
        top_reply(subscription(3, callbacks=2, discarded=1), subscription(144)),
    )
    assert render_snapshot(session.update(during_scan)) == TUTORIAL_SCAN_SNAPSHOT


def test_a_snapshot_without_change_shows_headers_only() -> None:
    session = MonitorSession()
    hw, top = hw_reply(2, 128), top_reply(subscription(2), subscription(128))
    session.update(snapshot("2026-03-13T16:35:33.678998", hw, top))
    quiet = session.update(snapshot("2026-03-13T16:35:43.689001", hw, top))
    assert render_snapshot(quiet) == TUTORIAL_QUIET_SNAPSHOT


def test_performance_table_layout_is_the_tutorials() -> None:
    def row(label, unit, mean, error, median, count, low, high, p10=None, p90=None):
        percentiles = {} if p10 is None else {10: p10, 90: p90}
        summary = Summary(count, mean, error, median, low, high, percentiles)
        return PerformanceRow(label, unit, summary)

    table = PerformanceTable(
        (
            row("Event Gaps", "ms", 991.47, 688.67, 300.91, 20, 0.13, 14413.12, 300.42, 301.52),
            row("Sleep Time", "ms", 720.68, 702.40, 0.02, 20, 0.01, 14412.92, 0.01, 0.12),
            row("Latency", "s", 1.71, 0.25, 1.70, 20, 0.00, 3.61, 0.02, 3.39),
            row("Callbacks called", None, 1.05, 0.05, 1.00, 20, 1.00, 2.00, 1.00, 1.00),
            row("Wake Count", None, 1.40, 0.39, 1.00, 20, 1.00, 9.00, 1.00, 1.00),
            row("mode Processing Time", "μs", 127.00, 0.00, 127.00, 1, 127.00, 127.00),
            row(
                "position Processing Time",
                "ms",
                300.83,
                0.08,
                300.83,
                19,
                300.39,
                301.50,
                300.45,
                301.36,
            ),
        ),
        sample_count=20,
    )
    assert "\n".join(render_table(table)) == TUTORIAL_CLIENT_TABLE


def test_counter_reset_is_explained_not_subtracted() -> None:
    session = MonitorSession()
    session.update(
        snapshot(
            "2026-01-01T00:00:00", hw_reply(2, 26), top_reply(subscription(2), subscription(26))
        )
    )
    restarted = session.update(
        snapshot(
            "2026-01-01T00:00:10",
            hw_reply(0, 1),
            top_reply(subscription(2), subscription(1, events=27)),
        )
    )
    text = render_snapshot(restarted)
    assert (
        "foo/bar/hw/position.change: 26 -> 1 (reset: the publisher restarted) last pushed" in text
    )
    assert ": 26 -> 1 (reset: the publisher restarted) last received server counter" in text
    assert "(-25)" not in text


def test_error_and_recovery_lines() -> None:
    session = MonitorSession()
    hw, top = hw_reply(1, 1), top_reply(subscription(1), subscription(1))
    session.update(snapshot("2026-01-01T00:00:00", hw, top))
    failed = Snapshot(
        datetime(2026, 1, 1, 0, 0, 10),
        (
            ServerPoll(f"{HOST}{HW}", ("foo/bar/hw",), error="API_CantConnectToDevice: gone"),
            ServerPoll(TOP, ("foo/bar/top",), reply=top),
        ),
    )
    text = render_snapshot(session.update(failed))
    assert "\n- Error: API_CantConnectToDevice: gone\n" in text
    back = render_snapshot(session.update(snapshot("2026-01-01T00:00:20", hw, top)))
    assert "- Answering again after 1 failed poll(s)" in back


def test_golden_report_of_a_real_recording(recorded_scan: Path) -> None:
    """The recorded tutorial run (20-point scan, 0.3 s rogue delay, --monitor, 2 s period)."""
    session = MonitorSession()
    blocks = [render_snapshot(session.update(s)) for s in read_recording(recorded_scan)]
    text = "".join((SNAPSHOT_SEPARATOR if i else "") + b + "\n" for i, b in enumerate(blocks))
    golden = GOLDEN / "slow_callback_scan.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
