"""The HTML report's lag per subscriber, read back from the page of a replay and compared
with the JSON output of the same replay (tests/data/scenarios.md tells what happened)."""

from __future__ import annotations

import base64
import html
import json
import re
from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from browser import DevTools, png_pixels
from conftest import DATA
from helpers import run_cli
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.health import Verdict
from ska_tango_event_monitor.core.session import MonitorSession
from ska_tango_event_monitor.core.streams import stream_key
from ska_tango_event_monitor.outputs.graph.labels import GREY, VERDICT_COLOURS
from ska_tango_event_monitor.outputs.html import history as history_module
from ska_tango_event_monitor.outputs.html.history import ReportHistory
from ska_tango_event_monitor.outputs.html.report import render_html
from ska_tango_event_monitor.recording import read_recording
from test_html_report import EXTERNAL, chromium  # noqa: F401 (a fixture)

SCAN, BLOCKED = "scenario_scan_and_drain.jsonl", "scenario_blocked_forever.jsonl"
TOP, SINK, STUCK = "dserver/MyServer/top", "dserver/EventLab/sink", "dserver/EventLab/blocked"
POSITION, MODE = "foo/bar/hw/position.change", "foo/bar/hw/mode.change"
FLAT = "stayed at 0 in every poll: nothing to draw."

FIGURE = re.compile(r'<figure class="chart[^"]*"><figcaption>(.*?) <span.*?</figure>', re.S)
GROUP = re.compile(r'<g class="(line|pins)" data-key="([^"]+)">(.*?)</g>', re.S)
DOT = re.compile(
    r'<circle [^>]*fill="([^"]+)" stroke="([^"]+)" data-snapshot="(\d+)" data-value="([^"]+)">'
    r"<title>([^<]*)</title>"
)
PIN = re.compile(r'<path class="pin" [^>]*fill="([^"]+)" data-snapshot="(\d+)"><title>([^<]*)<')


@dataclass
class Drawn:
    """One lag chart as the page draws it."""

    caption: str
    dots: dict[str, dict[int, tuple[float, bool, str]]]  # stream -> snapshot: (lag, hollow, tip)
    polylines: dict[str, list[int]]  # stream -> points of each polyline
    pins: dict[str, dict[int, str]]  # stream -> snapshot: colour
    flat: bool  # drawn as the sentence that every line stayed at 0


def replay(name: str, tmp_path: Path) -> tuple[list[dict[str, Any]], str]:
    """The JSON snapshot reports and the page of one replay of the recording."""
    page = tmp_path / f"{name}.html"
    status, out, err = run_cli(
        "--replay", str(DATA / name), "--format", "json", "--report", str(page)
    )
    assert (status, err) == (0, "")
    reports = [json.loads(line) for line in out.splitlines()]
    return [r for r in reports if "time" in r], page.read_text(encoding="utf-8")


def lag_charts(page: str) -> dict[str, Drawn]:
    """The lag section's charts by caption."""
    section = re.search(r'<section class="lag">(.*?)</section>', page, re.S)
    assert section is not None, "no lag section"
    charts = {}
    for figure in FIGURE.finditer(section.group(1)):
        caption = html.unescape(figure.group(1))
        drawn = Drawn(caption, {}, {}, {}, FLAT in figure.group(0))
        for kind, key, body in GROUP.findall(figure.group(0)):
            if kind == "pins":
                drawn.pins[key] = {int(i): fill for fill, i, _ in PIN.findall(body)}
                continue
            drawn.dots[key] = {
                int(i): (float(v), fill == "#fff", html.unescape(tip))
                for fill, stroke, i, v, tip in DOT.findall(body)
            }
            drawn.polylines[key] = [
                len(points.split())
                for points in re.findall(r'<polyline [^>]*points="([^"]+)"', body)
            ]
        charts[caption] = drawn
    return charts


def titles(reports: list[dict[str, Any]]) -> dict[str, str]:
    """Each server's section header, as the report shows it (the last one given)."""
    return {s["admin"]: s["title"] for r in reports for s in r["servers"]}


def health(reports: list[dict[str, Any]], subscriber: str) -> dict[str, dict[int, Any]]:
    """The JSON health entries of one subscriber: stream -> snapshot -> entry."""
    found: dict[str, dict[int, Any]] = {}
    for index, report in enumerate(reports):
        for entry in report["health"]:
            if entry["subscriber"] == subscriber:
                found.setdefault(stream_key(entry["topic"]), {})[index] = entry
    return found


def chart_of(reports: list[dict[str, Any]], page: str, subscriber: str) -> Drawn:
    charts = lag_charts(page)
    return charts[f"{titles(reports)[subscriber]}: lag of each stream received"]


def runs(indices: list[int]) -> list[int]:
    """The lengths of the runs of consecutive snapshots, those of 2 points or more."""
    lengths: list[int] = []
    for before, index in zip([None, *indices], indices, strict=False):
        if before is not None and index == before + 1:
            lengths[-1] += 1
        else:
            lengths.append(1)
    return [n for n in lengths if n > 1]


def verdict_colour(entry: dict[str, Any]) -> str:
    return GREY if entry["verdict"] is None else VERDICT_COLOURS[Verdict[entry["verdict"]].value]


@pytest.mark.parametrize("name", [SCAN, BLOCKED])
def test_one_lag_chart_per_subscriber_behind(name: str, tmp_path: Path) -> None:
    reports, page = replay(name, tmp_path)
    subscribers = {e["subscriber"] for r in reports for e in r["health"]}
    assert subscribers == ({TOP} if name == SCAN else {SINK, STUCK})
    behind = {e["subscriber"] for r in reports for e in r["health"] if e["lag_s"]}
    assert behind == ({TOP} if name == SCAN else {STUCK})
    server_titles = titles(reports)
    expected = {f"{server_titles[s]}: lag of each stream received" for s in behind}
    assert set(lag_charts(page)) == expected
    assert not EXTERNAL.search(page)


@pytest.mark.parametrize(("name", "subscriber"), [(SCAN, TOP), (BLOCKED, STUCK)])
def test_each_point_is_the_json_lag_at_that_snapshot(
    name: str, subscriber: str, tmp_path: Path
) -> None:
    reports, page = replay(name, tmp_path)
    chart, wanted = chart_of(reports, page, subscriber), health(reports, subscriber)
    assert set(chart.dots) == set(wanted) and len(wanted) == 2  # both streams drawn
    for stream, entries in wanted.items():
        known = {i: e for i, e in entries.items() if e["lag_s"] is not None}
        drawn = chart.dots[stream]
        assert {i: lag for i, (lag, _, _) in drawn.items()} == {
            i: e["lag_s"] for i, e in known.items()
        }
        assert chart.polylines[stream] == runs(sorted(known))  # broken where unknown
        for index, (_, hollow, tip) in drawn.items():  # "at least" drawn hollow, said so
            at_least = known[index]["lag_at_least"]
            assert hollow == at_least and ("at least" in tip) == at_least, (stream, index)


def test_the_scan_lags_grow_then_drain_with_gaps_where_unknown(tmp_path: Path) -> None:
    reports, page = replay(SCAN, tmp_path)
    chart, wanted = chart_of(reports, page, TOP), health(reports, TOP)
    position = chart.dots[POSITION]
    unknown = [i for i, e in wanted[POSITION].items() if e["lag_s"] is None]
    assert unknown and not set(unknown) & set(position)  # a gap where the lag is unknown
    assert not set(range(min(wanted[MODE]))) & set(chart.dots[MODE])  # none before the join
    bounds = [i for i, (_, hollow, _) in position.items() if hollow]
    assert bounds and all(wanted[POSITION][i]["lag_at_least"] for i in bounds)
    lags = [position[i][0] for i in sorted(position)]
    peak = lags.index(max(lags))
    assert max(lags) > 10 and lags[-1] == 0.0  # behind by seconds during the scan, then OK
    assert all(b >= a for a, b in pairwise(lags[: peak + 1]))  # growing while it scans


@pytest.mark.parametrize(("name", "subscriber"), [(SCAN, TOP), (BLOCKED, STUCK)])
def test_a_pin_where_the_json_verdict_changes(name: str, subscriber: str, tmp_path: Path) -> None:
    reports, page = replay(name, tmp_path)
    chart = chart_of(reports, page, subscriber)
    for stream, entries in health(reports, subscriber).items():
        changes, last = {}, None
        for index, entry in sorted(entries.items()):
            if entry["verdict"] != last:
                changes[index] = verdict_colour(entry)
            last = entry["verdict"]
        assert chart.pins[stream] == changes, stream
    colours = {c for pins in chart.pins.values() for c in pins.values()}
    wanted = {"OK", "STALLED"} | ({"FALLING BEHIND"} if name == SCAN else set())
    assert {VERDICT_COLOURS[v] for v in wanted} <= colours


def test_a_subscriber_never_behind_is_named_in_a_sentence(tmp_path: Path) -> None:
    reports, page = replay(BLOCKED, tmp_path)
    sink = health(reports, SINK)
    assert {e["lag_s"] for entries in sink.values() for e in entries.values()} == {0.0}
    section = page.split('<section class="lag">')[1].split("</section>")[0]
    assert (
        "Never behind, 0 s wherever the lag was known (1 subscriber(s)): "
        f"{html.escape(titles(reports)[SINK])}." in section
    )
    assert "Lag never known" not in section


def test_a_subscriber_whose_lag_was_never_known_is_named_so() -> None:
    """The scan's first 4 polls, kept its position stream only: the publisher was polled
    once when it was first joined, so its lag is not known yet."""
    session = MonitorSession(Analyser())
    history, log = ReportHistory(), FindingsLog()
    for snapshot in list(read_recording(DATA / SCAN))[:4]:
        report = session.update(snapshot)
        kept = tuple(h for h in report.health if h.label == POSITION)
        history.add(replace(report, health=kept))
        log.add(report.time, report.findings or ())
    [streams] = history.lags.values()
    assert list(streams) == [POSITION] and streams[POSITION].lag.points == []  # not known
    section = render_html(history, log, "first polls").split('<section class="lag">')[1]
    section = section.split("</section>")[0]
    assert "Lag never known (1 subscriber(s)): " in section and "<svg" not in section


def test_the_lag_is_kept_only_for_a_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """A replay without --report collects no series (issue 13 made replay fast)."""
    calls: list[int] = []
    real = history_module.add_health

    def counted(*args: Any) -> None:
        calls.append(1)
        real(*args)

    monkeypatch.setattr(history_module, "add_health", counted)
    assert run_cli("--replay", str(DATA / SCAN))[0] == 0
    assert calls == []


def test_no_lag_section_without_the_analysis(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    status, _, err = run_cli("--replay", str(DATA / SCAN), "--no-analysis", "--report", str(page))
    assert (status, err) == (0, "")
    text = page.read_text(encoding="utf-8")
    assert "Lag per subscriber" not in text and '<svg class="plot"' in text


# --- in a real browser ---


def test_chromium_draws_the_lag_and_its_verdicts(chromium: str, tmp_path: Path) -> None:  # noqa: F811
    _, page = replay(SCAN, tmp_path)
    path = tmp_path / "scan.html"
    path.write_text(page, encoding="utf-8")
    with DevTools(chromium, tmp_path / "profile") as browser:
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=1400,
            height=1000,
            deviceScaleFactor=1,
            mobile=False,
        )
        events = browser.load(path.as_uri())
        box, lines, pins = browser.evaluate(
            "(() => { const s = document.querySelector('section.lag'); const r ="
            " s.getBoundingClientRect(); return [[r.x, r.y + window.scrollY, r.width, r.height],"
            " [...s.querySelectorAll('polyline')].map(p => p.getBBox().width),"
            " s.querySelectorAll('path.pin').length]; })()"
        )
        shot = browser.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip=dict(zip(("x", "y", "width", "height"), box, strict=True), scale=1),
        )
    (tmp_path / "lag.png").write_bytes(base64.b64decode(shot["data"]))
    assert [e for e in events if e["method"] == "Runtime.exceptionThrown"] == []
    assert len(lines) == 2 and min(lines) > 300  # both streams, across most of the run
    assert pins == page.split('<section class="lag">')[1].count('class="pin" d=')
    colours = png_pixels(base64.b64decode(shot["data"]))[..., :3].reshape(-1, 3)
    for verdict in ("OK", "FALLING BEHIND"):  # the diamonds, in the event graph's colours
        rgb = np.array([int(VERDICT_COLOURS[verdict][i : i + 2], 16) for i in (1, 3, 5)])
        assert (colours == rgb).all(axis=1).sum() > 20, verdict
