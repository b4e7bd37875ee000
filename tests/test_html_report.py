"""The visual report: series taken from recordings, escaping, and the page in a real browser."""

from __future__ import annotations

import gc
import gzip
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import weakref
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from browser import CHROMIUM_FLAGS, DevTools, png_pixels
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.session import MonitorSession, Snapshot
from ska_tango_event_monitor.outputs.html.history import ReportHistory, Series, ServerHistory
from ska_tango_event_monitor.outputs.html.report import PALETTE, render_html
from ska_tango_event_monitor.recording import read_recording, snapshot_from_json

DATA = Path(__file__).parent / "data"
SCAN = DATA / "slow_callback_scan.jsonl"
RING = DATA / "scenario_ring50_slow_node.jsonl.gz"  # RingNode/17 is slow, the 49 others not
CHURN = DATA / "scenario_churn_p1.jsonl"
HW, TOP = "dserver/MyServer/hw", "dserver/MyServer/top"
POSITION, MODE = "foo/bar/hw/position.change", "foo/bar/hw/mode.change"
# Anything that would make the page fetch something or run code.
EXTERNAL = re.compile(
    r"<script|<link|<img|<iframe|<object|<embed|\bsrc=|\bhref=|url\(|@import", re.I
)


def run(snapshots: list[Snapshot], analyse: bool = True) -> tuple[ReportHistory, FindingsLog]:
    """What the command does with `--report`: every report into the history and the log."""
    session = MonitorSession(Analyser() if analyse else None)
    history, log = ReportHistory(), FindingsLog()
    for snapshot in snapshots:
        report = session.update(snapshot)
        history.add(report)
        if report.findings is not None:
            log.add(report.time, report.findings)
    return history, log


def raw_lines(path: Path = SCAN) -> list[dict[str, Any]]:
    text = gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else None
    return [json.loads(line) for line in (text or path.read_text()).splitlines()]


def raw_reply(line: dict[str, Any], admin: str) -> dict[str, Any]:
    return next(s["reply"] for s in line["servers"] if s["admin"] == admin)


def by_suffix(mapping: dict[str, Any], suffix: str) -> Any:
    """The value whose key (`tango://host:port/...`) ends with `suffix`."""
    return next(value for key, value in mapping.items() if key.endswith(suffix))


def pushed_counter(line: dict[str, Any], stream: str) -> int:
    """The last pushed server counter: the reply holds the next one."""
    return by_suffix(raw_reply(line, HW)["server"]["event_counters"], stream) - 1


def callback(line: dict[str, Any], stream: str) -> dict[str, Any]:
    topic = stream.replace(".change", ".idl5_change")
    return by_suffix(raw_reply(line, TOP)["client"]["event_callbacks"], topic)


def elapsed_s(lines: list[dict[str, Any]], index: int) -> float:
    times = [snapshot_from_json(lines[i]).time for i in (index - 1, index)]
    return (times[1] - times[0]).total_seconds()


@pytest.fixture
def scan() -> tuple[ReportHistory, FindingsLog]:
    return run(list(read_recording(SCAN)))


# --- the series hold the recorded numbers ---


@pytest.mark.parametrize("stream", [POSITION, MODE])
def test_backlog_is_last_pushed_minus_last_received_of_the_raw_replies(scan, stream):
    history, _ = scan
    lines = raw_lines()
    received = [callback(line, stream)["server_counter"] for line in lines]
    expected = {
        i: pushed_counter(line, stream) - received[i]
        for i, line in enumerate(lines)
        if received[i] > 0  # (a subscriber that received nothing yet may show no backlog)
    }
    series = history.servers[TOP].backlog[stream]
    assert {i: v for i, v in series.points if i in expected} == expected
    assert history.servers[TOP].publisher_of[stream] == HW
    assert history.servers[HW].backlog == {}  # shown under the subscriber only


def test_pushed_and_processed_rates_follow_the_raw_counters(scan):
    history, _ = scan
    lines = raw_lines()
    pushed, processed = (
        history.servers[HW].pushed[POSITION],
        history.servers[TOP].processed[POSITION],
    )
    assert pushed.value_at(0) is None and processed.value_at(0) is None  # no previous poll
    for i in range(1, len(lines)):
        pushes = pushed_counter(lines[i], POSITION) - pushed_counter(lines[i - 1], POSITION)
        events = [callback(lines[j], POSITION)["event_count"] for j in (i - 1, i)]
        assert pushed.value_at(i) == pytest.approx(pushes / elapsed_s(lines, i))
        assert processed.value_at(i) == pytest.approx(
            (events[1] - events[0]) / elapsed_s(lines, i)
        )
    assert pushed.value_at(len(lines) - 1) == 0.0  # a stream that stopped is a 0, not a gap


def test_latency_and_processing_time_come_from_the_client_samples(scan):
    history, _ = scan
    top = history.servers[TOP]
    for i, line in enumerate(raw_lines()):
        samples = [s for s in raw_reply(line, TOP)["client"]["perf"] if not s["discarded"]]
        latencies = [s["first_callback_latency_micros"] / 1e6 for s in samples]
        position = [s["process_micros"] / 1e3 for s in samples if s["attr_name"] == "position"]
        assert top.latency_median.value_at(i) == (
            pytest.approx(statistics.median(latencies)) if latencies else None
        )
        assert top.processing_ms["position"].value_at(i) == (
            pytest.approx(statistics.fmean(position)) if position else None
        )
    assert top.latency_p90.points == []  # under 10 samples per poll: no 90th percentile


def test_the_tutorial_story_shows_in_the_series(scan):
    history, log = scan
    hw, top = history.servers[HW], history.servers[TOP]
    backlog = top.backlog[POSITION]
    latency = [v for _, v in top.latency_median.points]
    assert pushed_faster_than_processed(hw.pushed[POSITION], top.processed[POSITION])
    assert (backlog.value_at(1), backlog.value_at(2)) == (6, 10)  # growing
    assert latency == sorted(latency) and latency[-1] > 3  # climbing, seconds
    assert all(290 < v < 310 for _, v in top.processing_ms["position"].points)
    assert {m.kind for m in history.marks} == {e.last.kind for e in log.entries}


def pushed_faster_than_processed(pushed: Series, processed: Series) -> bool:
    return all(pushed.value_at(i) > processed.value_at(i) for i in (1, 2))


def test_the_history_keeps_no_report():
    session, history = MonitorSession(Analyser()), ReportHistory()
    for snapshot in read_recording(SCAN):
        report = session.update(snapshot)
        kept = weakref.ref(report)
        history.add(report)
        del report
        gc.collect()
        assert kept() is None


def test_without_analysis_rates_are_not_taken_for_zeros():
    history, log = run(list(read_recording(SCAN)), analyse=False)
    top = history.servers[TOP]
    assert (history.servers[HW].pushed, top.processed, top.backlog) == ({}, {}, {})
    assert top.latency_median.points  # the samples are still there
    assert "the run was not analysed" in render_html(history, log, "no analysis")


# --- the page ---


def test_the_page_is_self_contained_with_the_charts(scan):
    page = render_html(*scan, "Slow callback scan")
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page)
    assert "default-src 'none'" in page  # nothing can be fetched even by mistake
    # the publisher: pushed; the subscriber: processed, backlog, latency, processing, wake-ups;
    # and the subscriber's lag
    assert page.count('<svg class="plot"') == 7
    for text in (
        "Events pushed per second",
        "Events processed per second",
        "Backlog: events pushed, not yet received",
        "Callback latency",
        "Processing time per event",
        "Event thread wake-ups per event",
        "Lag per subscriber",
        f"{POSITION} pushed by {HW}",  # the publisher's rate beside the processed one
        "events/s",
        "[ms]",
        "23:13:16",  # a time tick
        "WARNING",
        "backlog",
    ):
        assert text in page, text


@pytest.mark.parametrize("path", sorted(DATA.glob("*.jsonl*")), ids=lambda p: p.name)
def test_every_recording_renders(path):
    snapshots = list(read_recording(path))
    history, log = run(snapshots)
    page = render_html(history, log, path.name)
    assert not EXTERNAL.search(page)
    charts = figures(page)
    # a server that never answered has nothing to chart (scenario_server_down's ghost)
    answered = {poll.admin for s in snapshots for poll in s.polls if poll.reply is not None}
    assert answered <= set(history.servers)
    assert {server for server, _ in charts} == {short_name(admin) for admin in answered}
    drawn = [chart for chart in charts.values() if FLAT not in chart]
    assert all("<svg" in chart for chart in drawn)  # and a flat chart is one sentence:
    assert not any("<svg" in chart for chart in charts.values() if FLAT in chart)


def test_text_from_the_data_is_escaped():
    lines = raw_lines()
    evil = "<script>alert('x')</script>"
    for line in lines:
        line["servers"][0]["admin"] = f"dserver/{evil}/hw"
        line["servers"][0]["devices"] = [f"foo/{evil}/hw"]
    del lines[2]["servers"][1]["reply"]
    lines[2]["servers"][1]["error"] = f"DevFailed {evil} & <b>timeout</b>"
    history, log = run([snapshot_from_json(line) for line in lines])
    page = render_html(history, log, f"title {evil}")
    assert "<script" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "DevFailed &lt;script&gt;" in page and "&amp; &lt;b&gt;timeout" in page


def test_a_server_that_did_not_answer_leaves_a_gap():
    lines = raw_lines()
    del lines[3]["servers"][0]["reply"]
    lines[3]["servers"][0]["error"] = "API_DeviceTimedOut"
    history, log = run([snapshot_from_json(line) for line in lines])
    hw, top = history.servers[HW], history.servers[TOP]
    assert hw.failed == [3] and hw.answered == 5 and hw.last_error == "API_DeviceTimedOut"
    assert hw.pushed[POSITION].value_at(3) is None
    assert top.backlog[POSITION].value_at(3) is None  # no publisher counter to compare with
    assert top.processed[POSITION].value_at(3) is not None  # the subscriber did answer
    # after the gap, the rate covers both periods: 0 pushed over the 4 s since the last reply
    assert hw.pushed[POSITION].value_at(4) == 0.0
    page = render_html(history, log, "failed")
    assert page.count('<rect class="no-reply"') == 1  # a band in the publisher's one chart
    assert "answered 5 of 6 poll(s); last error: API_DeviceTimedOut" in page
    assert "no reply" in {e.last.kind for e in log.entries}


def test_a_single_snapshot_has_nothing_to_plot_yet():
    history, log = run(list(read_recording(SCAN))[:1])
    page = render_html(history, log, "one")
    assert "1 snapshot(s)" in page and "Nothing to plot: event rates need two" in page


def test_single_points_are_drawn_as_dots():
    history, log = run(list(read_recording(SCAN))[:2])  # rates and samples at the second
    page = render_html(history, log, "two")
    assert page.count('<svg class="plot"') == 6
    assert "<circle" in page and "<polyline" not in page


def test_an_empty_run():
    page = render_html(ReportHistory(), FindingsLog(), "nothing")
    assert "No snapshots were recorded." in page
    assert "<svg" not in page and not EXTERNAL.search(page)


# --- which lines a chart draws ---

SECTION = re.compile(r'<section class="server"><h2>(.*?)</h2>(.*?)</section>', re.S)
FIGURE = re.compile(
    r'<figure class="chart[^"]*"><figcaption>(.*?) <span class="unit">.*?</figure>', re.S
)
PUSHED, BACKLOG = "Events pushed per second", "Backlog: events pushed, not yet received"
WAKES = "Event thread wake-ups per event"
FLAT = "stayed at 0 in every poll: nothing to draw."


def figures(page: str) -> dict[tuple[str, str], str]:
    """Every chart of the page by (server, chart title)."""
    return {
        (html.unescape(title).partition(" (from ")[0], html.unescape(figure.group(1))): (
            figure.group(0)
        )
        for title, body in SECTION.findall(page)
        for figure in FIGURE.finditer(body)
    }


def legend_labels(figure: str) -> list[str]:
    return [html.unescape(label) for label in re.findall(r"</svg>([^<]*)</li>", figure)]


def one_publisher(pushed: dict[str, Series]) -> ReportHistory:
    history = ReportHistory()
    history.times = [datetime(2026, 12, 1, 9, 0, second) for second in range(3)]
    history.servers[HW] = ServerHistory(HW, "", pushed=pushed, answered=3)
    return history


def test_among_equally_busy_lines_the_names_decide():
    streams = [f"foo/bar/hw/attr{i:02d}.change" for i in range(12)]
    pages = [
        render_html(one_publisher({key: Series([(1, 2.0), (2, 2.0)]) for key in order}), *rest)
        for order, *rest in [(streams, FindingsLog(), "a"), (streams[::-1], FindingsLog(), "a")]
    ]
    assert pages[0] == pages[1]  # the order the streams were first seen in does not matter
    chart = figures(pages[0])[(HW, PUSHED)]
    assert legend_labels(chart) == streams[:8]
    assert "4 quieter line(s) not shown" in chart


def test_only_lines_that_moved_count_as_not_shown():
    busy = {f"foo/bar/hw/busy{i:02d}.change": Series([(1, i + 1.0), (2, 0.0)]) for i in range(10)}
    idle = {f"foo/bar/hw/idle{i:02d}.change": Series([(1, 0.0), (2, 0.0)]) for i in range(80)}
    chart = figures(render_html(one_publisher(idle | busy), FindingsLog(), "idle"))[(HW, PUSHED)]
    assert legend_labels(chart) == sorted(busy)[2:]  # the 8 that went highest
    assert chart.count("<polyline") == 8
    assert "2 quieter line(s) not shown; 80 line(s) at 0 throughout not drawn" in chart


def test_a_chart_of_zeros_only_is_one_sentence():
    idle = {f"foo/bar/hw/idle{i}.change": Series([(1, 0.0), (2, 0.0)]) for i in range(8)}
    chart = figures(render_html(one_publisher(idle), FindingsLog(), "idle"))[(HW, PUSHED)]
    assert f"All 8 line(s) {FLAT}" in chart
    assert "<svg" not in chart and "<li>" not in chart


@pytest.fixture(scope="module")
def ring() -> tuple[ReportHistory, str]:
    history, log = run(list(read_recording(RING)))
    return history, render_html(history, log, "Ring of 50, one slow node")


def raw_backlogs(path: Path) -> dict[str, list[int]]:
    """Per subscriber: last pushed minus last received of each subscription and poll, from
    the raw replies (the publisher's counter is the next one it will send)."""
    backlogs: dict[str, list[int]] = {}
    for line in raw_lines(path):
        pushed = {
            key: counter - 1
            for entry in line["servers"]
            for key, counter in (
                (entry["reply"]["server"] or {}).get("event_counters") or {}
            ).items()
        }
        for entry in line["servers"]:
            for topic, callback in (entry["reply"]["client"] or {})["event_callbacks"].items():
                stream = topic.replace(".idl5_change", ".change")
                behind = pushed[stream] - callback["server_counter"]
                backlogs.setdefault(entry["admin"], []).append(behind)
    return backlogs


def test_backlog_charts_of_the_ring_are_drawn_only_where_events_waited(ring):
    _, page = ring
    charts = figures(page)
    backlogs = raw_backlogs(RING)
    behind = sorted(admin for admin, values in backlogs.items() if any(values))
    assert "dserver/RingNode/17" in behind and len(behind) < 10  # the slow node, and few others
    for admin in backlogs:
        chart = charts[(admin, BACKLOG)]
        if admin in behind:
            assert FLAT not in chart and chart.count("<polyline") >= 1, admin
        else:
            assert f"All 3 line(s) {FLAT}" in chart and "<svg" not in chart, admin
    slow = charts[("dserver/RingNode/17", BACKLOG)]
    assert legend_labels(slow)[:3] == [
        f"ring/sensor/18/{name}.change from dserver/RingNode/18"
        for name in ("humidity", "pressure", "temperature")
    ]


def test_the_wake_chart_is_the_median_wake_count_of_each_poll():
    history, log = run(list(read_recording(CHURN)))
    sink = history.servers["dserver/EventLab/sink"]
    for i, line in enumerate(raw_lines(CHURN)):
        samples = raw_reply(line, "dserver/EventLab/sink")["client"]["perf"]
        wakes = [sample["wake_count"] for sample in samples]
        assert sink.wake_median.value_at(i) == (statistics.median(wakes) if wakes else None)
    assert min(value for _, value in sink.wake_median.points) > 10  # churn: tens per event
    charts = figures(render_html(history, log, "churn"))
    chart = charts[("dserver/EventLab/sink", WAKES)]
    assert chart.count("<polyline") == 1 and legend_labels(chart) == ["median per poll"]
    assert "findings raised" in chart  # the churn finding's marks under its time axis
    assert ("dserver/EventLab/pub", WAKES) not in charts  # a publisher only: no event thread


# --- in a real browser ---


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium; skipped when missing, unless REQUIRE_BROWSER=1 (as in CI)."""
    found = shutil.which("chromium", path="/usr/bin") or shutil.which("chromium")
    if found is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but Chromium is not installed (/usr/bin/chromium)")
        pytest.skip(
            "Chromium is not installed (apt-get install chromium); "
            "with REQUIRE_BROWSER=1 this is a failure"
        )
    return found


@pytest.fixture
def scan_page(scan, tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(*scan, "Slow callback scan"), encoding="utf-8")
    return path


def test_screenshot_in_chromium_is_not_blank(chromium, scan_page, tmp_path):
    png = tmp_path / "report.png"
    command = [
        chromium,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        "--window-size=1400,2400",
        scan_page.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=120, check=True)
    pixels = png_pixels(png.read_bytes())
    assert pixels.shape[:2] == (2400, 1400)
    colours = pixels[..., :3].reshape(-1, 3)
    background = np.array([0xF4, 0xF6, 0xF9])
    assert (colours != background).any(axis=1).mean() > 0.1  # cards, text and charts
    for line_colour in PALETTE[:2]:  # the mode and position lines
        rgb = np.array([int(line_colour[i : i + 2], 16) for i in (1, 3, 5)])
        assert (colours == rgb).all(axis=1).sum() > 200, line_colour


def test_chromium_loads_the_page_without_errors_or_network(chromium, scan_page, tmp_path):
    with DevTools(chromium, tmp_path / "profile") as browser:
        events = browser.load(scan_page.as_uri())
        counts = browser.evaluate(
            "[document.querySelectorAll('svg.plot').length,"
            " document.querySelectorAll('polyline').length,"
            " Math.round(document.querySelector('svg.plot').getBoundingClientRect().width)]"
        )
    requests = [
        e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"
    ]
    assert requests == [scan_page.as_uri()]  # the file itself, nothing else
    problems = [
        e["params"]
        for e in events
        if e["method"]
        in ("Runtime.exceptionThrown", "Network.loadingFailed", "Runtime.consoleAPICalled")
        or (
            e["method"] == "Log.entryAdded"
            and e["params"]["entry"]["level"] in ("error", "warning")
        )
    ]
    assert problems == []
    plots, polylines, width = counts
    assert plots == 7 and polylines >= 8 and width > 500  # 6 charts of servers, 1 of lag


def test_chromium_shows_a_chart_of_zeros_as_its_sentence(chromium, ring, tmp_path):
    _, page = ring
    path = tmp_path / "ring.html"
    path.write_text(page, encoding="utf-8")
    with DevTools(chromium, tmp_path / "profile") as browser:
        events = browser.load(path.as_uri())
        flat, svgs, text = browser.evaluate(
            "[document.querySelectorAll('figure.flat').length,"
            " document.querySelectorAll('figure.flat svg').length,"
            " document.querySelector('figure.flat').innerText]"
        )
    assert [e for e in events if e["method"] == "Runtime.exceptionThrown"] == []
    assert flat == page.count('<figure class="chart flat">') > 0 and svgs == 0
    assert text.splitlines()[-1] == f"All 3 line(s) {FLAT}"


def test_each_server_shows_its_event_channels_and_keep_alive() -> None:
    """The stuck subscriber (its keep-alive never re-subscribed) beside the healthy one
    (re-subscribed once, ~208 s in), as of the last poll of the recording."""
    path = DATA / "scenario_keepalive.jsonl"
    history, log = run(list(read_recording(path)))
    page = render_html(history, log, "keep-alive")
    last = json.loads(path.read_text().splitlines()[-1])
    for entry in last["servers"]:
        client = entry["reply"]["client"]
        if not client:
            continue
        section = page.split(f"<h2>{html.escape(entry['admin'])}")[1].split("</section>")[0]
        for admin, channel in client["event_channels"].items():
            assert f"<td>{html.escape(short_name(admin))}</td><td>{channel['endpoint']}</td>" in (
                section
            )
        for callback in client["event_callbacks"].values():
            shown = callback["last_resubscribed"] or "not yet"
            assert f"<td>{html.escape(shown)}</td>" in section
    assert "<td>2026-12-01T09:04:27</td>" in page  # the healthy one's re-subscription
