"""The findings on recordings of real scenarios, and the rules on small hand-built replies.

The recordings `data/scenario_<name>.jsonl` were made by `scripts/capture_scenarios.py`
with the real monitor on real EventLab servers; they are never edited by hand. Every
expected number is read from the raw replies here, not copied from the report. No Tango:
the recordings are replayed through `MonitorSession`.

`golden/scenario_<name>.txt` is what `--replay` prints for each recording with the current
rules (the live stdout of a capture equals its replay: a live test covers that). When a
rule changes, regenerate the goldens and review the diff before committing it:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_findings.py -k golden
"""

from __future__ import annotations

import itertools
import json
import os
import re
import statistics
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import DATA
from helpers import run_cli
from ska_tango_event_monitor.core.findings import Analyser, Finding, Severity, Thresholds, Unjudged
from ska_tango_event_monitor.core.findings.judged import CHECKS, SAMPLE_CHECKS
from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.session import (
    MonitorSession,
    ServerPoll,
    Snapshot,
    SnapshotReport,
)
from ska_tango_event_monitor.outputs.text import render_summary, unjudged_lines
from ska_tango_event_monitor.recording import read_recording

PUB, SINK = "dserver/EventLab/pub", "dserver/EventLab/sink"
STREAM = "lab/source/1/value.change"  # the stream as findings name it, on either side
PUBLISHED = "/lab/source/1/value.change"  # ends the publisher's key
TOPIC = "/lab/source/1/value.idl5_change"  # ends the subscriber's key
SCENARIOS = (
    "healthy",
    "slow_callback",
    "slow_callback_250ms",
    "callback_longer_than_period",
    "missed_events",
    "publisher_restart",
    "churn",
    "not_connected",
    "samples_stolen",
)
DEFAULTS = Thresholds()
GOLDEN = Path(__file__).parent / "golden"


# --------------------------------------------------------------------------------------
# Reading the recordings: raw replies (the oracle) and the findings (what is tested)
# --------------------------------------------------------------------------------------


def recording(name: str) -> Path:
    return DATA / f"scenario_{name}.jsonl"


class Raw:
    """The recorded replies as plain JSON, read without the package."""

    def __init__(self, name: str) -> None:
        self.lines = [json.loads(line) for line in recording(name).read_text().splitlines()]
        self.times = [datetime.fromisoformat(line["time"]) for line in self.lines]

    def __len__(self) -> int:
        return len(self.lines)

    def entry(self, i: int, admin: str) -> dict[str, Any]:
        [entry] = [e for e in self.lines[i]["servers"] if e["admin"] == admin]
        return entry

    def reply(self, i: int, admin: str) -> dict[str, Any] | None:
        return self.entry(i, admin).get("reply")

    def next_counter(self, i: int) -> int | None:
        """The publisher's next counter of lab/source/1/value (None: no reply, no entry)."""
        reply = self.reply(i, PUB)
        counters = (reply or {}).get("server") or {}
        found = [v for k, v in counters.get("event_counters", {}).items() if k.endswith(PUBLISHED)]
        return found[0] if found else None

    def callback(self, i: int) -> dict[str, Any]:
        """The sink's entry for lab/source/1/value."""
        callbacks = self.reply(i, SINK)["client"]["event_callbacks"]
        [entry] = [v for k, v in callbacks.items() if k.endswith(TOPIC)]
        return entry

    def perf(self, i: int, admin: str, side: str) -> list[dict[str, Any]] | None:
        reply = self.reply(i, admin)
        return None if reply is None or reply[side] is None else reply[side]["perf"]

    def elapsed(self, i: int) -> float:
        return (self.times[i] - self.times[i - 1]).total_seconds()

    def backlog(self, i: int) -> int | None:
        """Last pushed - last received, None when the monitor has no backlog to show."""
        counter, received = self.next_counter(i), self.callback(i)["server_counter"]
        return None if counter is None or received == 0 else counter - 1 - received


def replay(name: str, thresholds: Thresholds | None = None) -> list[SnapshotReport]:
    session = MonitorSession(Analyser(thresholds))
    return [session.update(snapshot) for snapshot in read_recording(recording(name))]


def of_kind(reports: Sequence[SnapshotReport], kind: str) -> dict[int, list[Finding]]:
    """The findings of one kind, by snapshot index."""
    found: dict[int, list[Finding]] = {}
    for i, report in enumerate(reports):
        for finding in report.findings or ():
            if finding.kind == kind:
                found.setdefault(i, []).append(finding)
    return found


def numbers(pattern: str, finding: Finding) -> tuple[str, ...]:
    match = re.search(pattern, finding.message)
    assert match, f"{pattern!r} not in {finding.message!r}"
    return match.groups()


def quantile(values: Sequence[float], p: int) -> float:
    """Linear interpolation between closest ranks, computed without the package."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def latency_high(values: Sequence[float]) -> float:
    """What the latency rule compares: the 90th percentile from 10 values, else the highest."""
    return quantile(sorted(values), 90) if len(values) >= 10 else max(values)


def window_polls(raw: Raw, i: int, admin: str = SINK) -> list[int]:
    """The polls whose samples the rules judge at snapshot i: the good replies within the
    window (DEFAULTS.window_s) after the oldest one kept, whose poll before had perf on."""
    good = [j for j in range(i + 1) if raw.reply(j, admin) is not None]
    span = DEFAULTS.window_s
    inside = [j for j in good if (raw.times[i] - raw.times[j]).total_seconds() <= span]
    first = good.index(inside[0])
    kept = good[max(first - 1, 0) :]
    side = "client"
    return [
        j
        for before, j in itertools.pairwise(kept)
        if raw.perf(before, admin, side) is not None and raw.perf(j, admin, side) is not None
    ]


def window_samples(raw: Raw, i: int, admin: str = SINK) -> list[dict[str, Any]]:
    """The subscriber samples (discarded ones left out) the rules judge at snapshot i."""
    return [
        s
        for j in window_polls(raw, i, admin)
        for s in raw.perf(j, admin, "client")
        if not s["discarded"]
    ]


def window_latencies(raw: Raw, i: int) -> list[float]:
    return sorted(
        s["first_callback_latency_micros"] / 1e6
        for s in window_samples(raw, i)
        if s["first_callback_latency_micros"] is not None
    )


# --------------------------------------------------------------------------------------
# All recordings
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_recordings_are_real_monitor_output(name: str) -> None:
    raw = Raw(name)
    assert 3 <= len(raw) <= 30
    assert recording(name).stat().st_size < 100_000
    assert all(line["recording"] == 1 for line in raw.lines)
    assert all(
        e.get("reply", {"version": 1})["version"] == 1 for x in raw.lines for e in x["servers"]
    )
    assert {e["admin"] for line in raw.lines for e in line["servers"]} == {PUB, SINK}
    # one snapshot per second: the polling period of every capture
    assert all(0.5 < raw.elapsed(i) < 2 for i in range(1, len(raw)))


@pytest.mark.parametrize("name", SCENARIOS)
def test_replay_matches_the_golden(name: str) -> None:
    status, out, err = run_cli("--replay", str(recording(name)))

    assert (status, err) == (0, "")
    golden = GOLDEN / f"scenario_{name}.txt"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(out)
    assert out == golden.read_text(), "UPDATE_GOLDEN=1 regenerates it; review the diff"


def test_healthy_raises_no_finding() -> None:
    raw, reports = Raw("healthy"), replay("healthy")

    # it is a real flow: ~20 events/s pushed and all received
    for i in range(1, len(raw)):
        pushed = raw.next_counter(i) - raw.next_counter(i - 1)
        processed = raw.callback(i)["event_count"] - raw.callback(i - 1)["event_count"]
        assert 18 <= pushed == processed <= 22
        assert raw.backlog(i) in (0, 1)
    assert [report.findings for report in reports] == [()] * len(raw)
    status, out, _ = run_cli("--replay", str(recording("healthy")), "--fail-on", "warning")
    assert status == 0
    # no all-clear: a run of 5 s cannot judge cppTango's keep-alive (every ~210 s)
    summary = out.split("Summary")[-1].splitlines()
    assert summary[2:-1] == [
        "no finding",
        f"not judged: keep-alive at {SINK}: needs 7.5 min of polls",
    ]


@pytest.mark.parametrize(
    ("name", "fail_on", "status"),
    [
        ("healthy", "warning", 0),
        ("healthy", "error", 0),
        ("slow_callback", "warning", 7),
        ("slow_callback", "error", 0),  # warnings only: the subscriber receives every poll
        ("callback_longer_than_period", "warning", 7),
        ("callback_longer_than_period", "error", 0),  # never two polls without receiving
        ("missed_events", "error", 7),
        ("publisher_restart", "error", 7),  # no reply while the publisher was down
        ("not_connected", "warning", 7),
        ("churn", "warning", 7),
        ("samples_stolen", "warning", 7),
        ("samples_stolen", "error", 0),
    ],
)
def test_fail_on(name: str, fail_on: str, status: int) -> None:
    assert run_cli("--replay", str(recording(name)), "--fail-on", fail_on)[0] == status


def test_no_analysis_shows_no_finding_and_refuses_fail_on() -> None:
    path = str(recording("slow_callback"))
    refused = run_cli("--replay", path, "--no-analysis", "--fail-on", "warning")
    assert refused[0] == 2 and "--fail-on needs the findings" in refused[2]
    status, out, err = run_cli("--replay", path, "--no-analysis")

    assert (status, err) == (0, "")
    assert "Findings" not in out and "Summary" not in out and "Event rates" not in out
    assert out.count("- Client performance") == len(Raw("slow_callback")) - 1


def test_json_format_of_a_recording() -> None:
    status, out, err = run_cli("--replay", str(recording("slow_callback")), "--format", "json")

    assert (status, err) == (0, "")
    objects = [json.loads(line) for line in out.splitlines()]
    assert all(isinstance(o, dict) for o in objects)
    *snapshots, last = objects
    assert len(snapshots) == len(Raw("slow_callback"))
    assert "summary" in last and all("summary" not in o for o in snapshots)
    assert [o["time"] for o in snapshots] == [line["time"] for line in Raw("slow_callback").lines]
    kinds = {f["kind"] for o in snapshots for f in o["findings"]}
    assert {"backlog", "saturated", "latency"} <= kinds
    entries = last["summary"]["findings"]
    assert {f["last"]["kind"] for f in entries} == kinds
    assert all(f["worst"]["kind"] == f["last"]["kind"] for f in entries)
    assert all("severity" in f for f in entries)  # at the top level of each entry
    assert last["summary"]["snapshots"] == len(snapshots)
    # the magnitude of each finding, and the worst of each kind: the largest one
    for entry in entries:
        raised = [
            f for o in snapshots for f in o["findings"] if f["kind"] == entry["last"]["kind"]
        ]
        assert entry["worst"]["magnitude"] == max(f["magnitude"] for f in raised)
        assert entry["last"] == raised[-1]
    [backlog] = [f for f in entries if f["worst"]["kind"] == "backlog"]
    assert backlog["worst"]["magnitude"] == max(
        Raw("slow_callback").backlog(i) or 0 for i in range(len(snapshots))
    )
    assert all(
        f["server"] == SINK and f["severity"] == "WARNING"
        for o in snapshots
        for f in o["findings"]
    )


def test_json_summary_severity_is_named_like_the_findings() -> None:
    _, out, _ = run_cli("--replay", str(recording("missed_events")), "--format", "json")
    entries = json.loads(out.splitlines()[-1])["summary"]["findings"]
    assert [f["severity"] for f in entries] == [f["worst"]["severity"] for f in entries]
    assert [f["severity"] for f in entries] == ["ERROR", "ERROR", "WARNING", "WARNING"]


def expected_summary(name: str) -> list[str]:
    """The summary lines rebuilt from the findings of each snapshot: one line per kind,
    server and stream, with the worst finding (highest severity, then largest magnitude;
    of equals, the first raised), worst severity first, then in the order they were first
    raised."""
    raw, reports = Raw(name), replay(name)
    entries: dict[tuple[str, str, str | None], list[Any]] = {}
    for time, report in zip(raw.times, reports, strict=True):
        for finding in report.findings or ():
            entry = entries.setdefault(
                (finding.kind, finding.server, finding.stream), [finding, 0, time, time]
            )
            if (finding.severity, finding.magnitude) > (entry[0].severity, entry[0].magnitude):
                entry[0] = finding
            entry[1] += 1
            entry[3] = time
    lines = []
    for worst, count, first, last in sorted(entries.values(), key=lambda e: -e[0].severity):
        where = " ".join(filter(None, (worst.server, worst.stream)))
        span = f"{first:%H:%M:%S}" + ("" if first == last else f" to {last:%H:%M:%S}")
        lines.append(
            f"{worst.severity.name} {worst.kind} {where}: {worst.message} "
            f"[in {count} snapshot(s), {span}]"
        )
    never = never_judged(reports)
    if not lines:
        lines = ["no finding" if never else "none: nothing unusual was seen"]
    servers = [short_name(s.admin) for s in reports[0].servers]
    return lines + unjudged_lines(never, servers)


def never_judged(reports: Sequence[SnapshotReport]) -> list[Unjudged]:
    """The checks no snapshot could make on a server, with the latest reason."""
    judged: set[tuple[str, str]] = set()
    latest: dict[tuple[str, str], str] = {}
    for report in reports:
        missing = {(u.check, u.server): u.reason for u in report.unjudged}
        for server in report.servers:
            name = short_name(server.admin)
            judged |= {(c, name) for c in CHECKS if (c, name) not in missing}
        latest.update(missing)
    return [Unjudged(c, s, why) for (c, s), why in latest.items() if (c, s) not in judged]


@pytest.mark.parametrize("name", SCENARIOS)
def test_summary_shows_the_worst_finding(name: str) -> None:
    _, out, _ = run_cli("--replay", str(recording(name)))
    summary = out.split("Summary")[-1].splitlines()
    raw = Raw(name)

    assert summary[1] == (
        f"- Findings in {len(raw)} snapshot(s) from "
        f"{raw.times[0].isoformat(timespec='seconds')} to "
        f"{raw.times[-1].isoformat(timespec='seconds')}"
    )
    findings = summary[2:-1]
    if STREAMS_HEADER in findings:  # the streams' verdicts follow the findings (issue 14)
        findings = findings[: findings.index(STREAMS_HEADER)]
    assert findings == expected_summary(name)


def without_verdict(message: str) -> str:
    """A backlog finding's message before the stream's verdict, which issue 14 appended."""
    return re.sub(r"; (STALLED|FALLING BEHIND): [^;]*$", "", message)


STREAMS_HEADER = "- Streams: the worst verdict and the largest lag of each"
UNMEASURED = ("no reply", "restart", "resubscribed", "samples lost")


def raw_magnitude(raw: Raw, i: int, finding: Finding) -> float:
    """How bad a finding is, read from the raw replies: what the summary ranks by."""
    if finding.kind in ("backlog", "delayed"):
        return raw.backlog(i)
    if finding.kind == "latency":
        return latency_high(window_latencies(raw, i))
    if finding.kind == "saturated":
        return busy_fraction(raw, i)
    if finding.kind == "churn":
        return statistics.median(s["wake_count"] for s in window_samples(raw, i))
    if finding.kind == "not connected":  # how long, on the monitor's clock (the polls' times)
        first = next(j for j in range(len(raw)) if raw.reply(j, SINK)["client"]["not_connected"])
        return (raw.times[i] - raw.times[first]).total_seconds()
    before, after = (raw.callback(i - 1), raw.callback(i)) if i else ({}, {})
    if finding.kind == "missed events":
        gaps = after["missed_event_count"] - before["missed_event_count"]
        received = after["server_counter"] - before["server_counter"]
        lost = received - (after["event_count"] - before["event_count"])
        return lost if received > 0 and lost > 0 else gaps
    if finding.kind == "samples stolen":
        admin, side = (PUB, "server") if finding.server == PUB else (SINK, "client")
        if admin == PUB:
            events = raw.next_counter(i) - raw.next_counter(i - 1)
        else:
            events = after["event_count"] - before["event_count"]
        return events - len(raw.perf(i, admin, side))
    assert finding.kind in UNMEASURED
    return 0.0


@pytest.mark.parametrize("name", SCENARIOS)
def test_magnitude_matches_the_raw_replies(name: str) -> None:
    raw, reports = Raw(name), replay(name)
    found = [(i, f) for i, report in enumerate(reports) for f in report.findings or ()]
    assert found or name == "healthy"
    for i, finding in found:
        expected = raw_magnitude(raw, i, finding)
        # abs: a duration from two clock readings as float timestamps (microseconds kept)
        assert finding.magnitude == pytest.approx(expected, rel=1e-9, abs=1e-6), (i, finding)
        assert (finding.magnitude > 0) == (finding.kind not in UNMEASURED and expected > 0), (
            i,
            finding,
        )


@pytest.mark.parametrize(
    "name", ["slow_callback", "slow_callback_250ms", "callback_longer_than_period"]
)
def test_summary_shows_the_peak_of_a_growing_backlog_and_latency(name: str) -> None:
    """The largest backlog and the highest latency p90, not the first ones raised."""
    raw, reports = Raw(name), replay(name)
    backlog, latency = of_kind(reports, "backlog"), of_kind(reports, "latency")
    peak = max(raw.backlog(i) for i in backlog)
    highest = max(latency_high(window_latencies(raw, i)) for i in latency)
    assert peak > raw.backlog(min(backlog))  # it grew: the first is not the worst
    assert highest > latency_high(window_latencies(raw, min(latency)))
    _, out, _ = run_cli("--replay", str(recording(name)))
    summary = out.split("Summary")[-1].splitlines()
    [line] = [line for line in summary if " backlog " in line]
    assert int(re.search(r": (\d+) events pushed", line)[1]) == peak
    [line] = [line for line in summary if " latency " in line]
    shown = re.search(r"latency (?:p90|max) ([\d.]+) s", line)[1]
    assert float(shown) == pytest.approx(highest, abs=0.006)


# --------------------------------------------------------------------------------------
# A slow callback: backlog growing, event thread saturated, latency rising
# --------------------------------------------------------------------------------------


def test_slow_callback_backlog_matches_the_counters() -> None:
    raw, reports = Raw("slow_callback"), replay("slow_callback")
    found = of_kind(reports, "backlog")

    expected = [
        i
        for i in range(1, len(raw))
        if (raw.backlog(i) or 0) >= DEFAULTS.backlog_events
        and (raw.backlog(i - 1) or 0) >= DEFAULTS.backlog_events
    ]
    assert sorted(found) == expected and len(expected) >= 3
    for i in expected:
        [finding] = found[i]
        assert (finding.severity, finding.server, finding.stream) == (
            Severity.WARNING,
            SINK,
            STREAM,
        )
        events, last_pushed, last_received, growth, rate, pushing = numbers(
            r"^(\d+) events pushed by dserver/EventLab/pub not yet received "
            r"\((?:(?:at least )?[\d.]+ s behind; )?"
            r"last pushed (\d+), last received (\d+)\), growing \(\+(\d+)\); "
            r"falling behind: ([\d.]+) events/s processed, ([\d.]+) pushed"
            r"(?:; FALLING BEHIND: .*)?$",
            finding,
        )
        assert int(last_pushed) == raw.next_counter(i) - 1
        assert int(last_received) == raw.callback(i)["server_counter"]
        assert int(events) == raw.backlog(i) == finding.magnitude
        assert int(growth) == raw.backlog(i) - raw.backlog(i - 1) > 0
        processed = raw.callback(i)["event_count"] - raw.callback(i - 1)["event_count"]
        pushed = raw.next_counter(i) - raw.next_counter(i - 1)
        assert float(rate) == pytest.approx(processed / raw.elapsed(i), abs=0.05)
        assert float(pushing) == pytest.approx(pushed / raw.elapsed(i), abs=0.05)
        assert pushed == 2 * processed  # 20 events/s pushed, 10 processed


def callback_and_wait_micros(raw: Raw, i: int) -> tuple[int, int]:
    """Time in callbacks and time waiting for events, in the sink's kept samples."""
    samples = [s for s in raw.perf(i, SINK, "client") or () if not s["discarded"]]
    return sum(s["process_micros"] for s in samples), sum(s["sleep_micros"] for s in samples)


def processed_since(raw: Raw, i: int) -> int:
    """Events processed by the sink since the poll before, over all its callbacks."""

    def counts(j: int) -> dict[str, int]:
        callbacks = raw.reply(j, SINK)["client"]["event_callbacks"]
        return {topic: callback["event_count"] for topic, callback in callbacks.items()}

    before, now = counts(i - 1), counts(i)
    return sum(max(count - before[topic], 0) for topic, count in now.items() if topic in before)


def busy_fraction(raw: Raw, i: int) -> float | None:
    """What the saturation rule measures (None: no time in the samples).

    While the kept samples cover at least half of the poll: callbacks / (callbacks +
    waiting), not the wall time (the sample of the callback running at the query never
    comes back). Below that (a full ring keeps only the end of a burst), and with a poll
    before: events processed since then x mean callback time / wall time, at most 1.
    """
    if i == 0 or raw.perf(i - 1, SINK, "client") is None:
        return None  # the first reply after perf is on covers only part of the poll
    process, sleep = callback_and_wait_micros(raw, i)
    if not process + sleep:
        return None
    if (process + sleep) / 1e6 >= raw.elapsed(i) / 2:
        return process / (process + sleep)
    samples = [s for s in raw.perf(i, SINK, "client") if not s["discarded"]]
    return min(processed_since(raw, i) * process / len(samples) / 1e6 / raw.elapsed(i), 1.0)


def test_slow_callback_saturated_matches_the_samples() -> None:
    raw, reports = Raw("slow_callback"), replay("slow_callback")
    found = of_kind(reports, "saturated")

    expected = [
        i for i in range(len(raw)) if (busy_fraction(raw, i) or 0) >= DEFAULTS.busy_fraction
    ]
    assert sorted(found) == expected and len(expected) >= 3
    for i in expected:
        [finding] = found[i]
        assert (finding.severity, finding.server, finding.stream) == (
            Severity.WARNING,
            SINK,
            None,
        )
        busy, callbacks, waiting, mean_ms, count = numbers(
            r"busy (\d+)% of the time \(callbacks ([\d.]+) s, waiting for events ([\d.]+) s\); "
            r"value ([\d.]+) ms per event x (\d+)",
            finding,
        )
        samples = [s for s in raw.perf(i, SINK, "client") if not s["discarded"]]
        process, sleep = callback_and_wait_micros(raw, i)
        assert int(busy) == round(busy_fraction(raw, i) * 100) == 100  # it never waits
        assert finding.magnitude == pytest.approx(busy_fraction(raw, i), rel=1e-9)
        assert (process + sleep) / 1e6 >= raw.elapsed(i) / 2  # the samples cover the poll
        assert float(callbacks) == pytest.approx(process / 1e6, abs=0.05)
        assert float(waiting) == pytest.approx(sleep / 1e6, abs=0.05)
        assert int(count) == len(samples)
        mean = statistics.fmean(s["process_micros"] for s in samples) / 1e3
        assert float(mean_ms) == pytest.approx(mean, abs=0.05)
        assert 100 <= mean < 110  # the callback sleeps 0.1 s


def latencies_s(raw: Raw, i: int) -> list[float]:
    """The callback latencies in the sink's kept samples, sorted, in seconds."""
    return sorted(
        s["first_callback_latency_micros"] / 1e6
        for s in raw.perf(i, SINK, "client") or ()
        if s["first_callback_latency_micros"] is not None and not s["discarded"]
    )


def test_slow_callback_latency_rises() -> None:
    """Over the window: p90 and median of its samples, corroborated by the poll medians
    rising, the backlog and the busy event thread."""
    raw, reports = Raw("slow_callback"), replay("slow_callback")
    found = of_kind(reports, "latency")

    for i in range(len(raw)):
        latencies = window_latencies(raw, i)
        if not latencies or latency_high(latencies) < DEFAULTS.latency_s:
            assert i not in found
            continue
        [finding] = found[i]
        assert (finding.severity, finding.server, finding.stream) == (
            Severity.WARNING,
            SINK,
            None,
        )
        shown_p90, shown_median, first, last, behind = numbers(
            r"(?:p90|max) ([\d.]+) s(?: \(of \d+\))?, median ([\d.]+) s over \d+ s of polls "
            r"\(rising: poll medians ([\d.]+) s -> ([\d.]+) s; (\d+) events not yet received",
            finding,
        )
        assert float(shown_p90) == pytest.approx(latency_high(latencies), abs=0.006)
        assert float(shown_median) == pytest.approx(quantile(latencies, 50), abs=0.006)
        polls = window_polls(raw, i)
        assert float(first) == pytest.approx(quantile(latencies_s(raw, polls[0]), 50), abs=0.006)
        assert float(last) == pytest.approx(quantile(latencies_s(raw, i), 50), abs=0.006)
        assert float(first) < float(last)
        assert int(behind) == raw.backlog(i)
    assert len(found) >= 3


@pytest.mark.parametrize("name", ["slow_callback", "slow_callback_250ms"])
def test_a_busy_event_thread_loses_the_sample_of_the_callback_running_at_each_query(
    name: str,
) -> None:
    """The measured fact behind the busy fraction (callbacks against waiting, not against
    the wall time): cppTango never returns the sample of the event whose callback runs
    while QueryEventSystem is called."""
    raw = Raw(name)
    for i in range(2, len(raw)):
        samples = raw.perf(i, SINK, "client")
        processed = raw.callback(i)["event_count"] - raw.callback(i - 1)["event_count"]
        assert all(s["sleep_micros"] < 1000 for s in samples)  # the thread never waited
        assert len(samples) == processed - 1


@pytest.mark.parametrize("name", ["slow_callback", "slow_callback_250ms"])
def test_saturated_when_the_event_thread_never_sleeps(name: str) -> None:
    raw, found = Raw(name), of_kind(replay(name), "saturated")
    never_slept = [
        i
        for i in range(2, len(raw))
        if all(s["sleep_micros"] < 1000 for s in raw.perf(i, SINK, "client"))
    ]
    assert len(never_slept) >= 3
    assert set(never_slept) <= set(found)


@pytest.mark.parametrize("name", ["slow_callback", "slow_callback_250ms"])
def test_saturated_busy_fraction_matches_the_events_processed(name: str) -> None:
    """Cross-check with another measure: events processed x mean callback time / wall time
    (the samples alone would say 90%: one sample is lost at each query)."""
    raw, found = Raw(name), of_kind(replay(name), "saturated")
    assert len(found) >= 3
    for i, [finding] in found.items():
        samples = [s for s in raw.perf(i, SINK, "client") if not s["discarded"]]
        processed = raw.callback(i)["event_count"] - raw.callback(i - 1)["event_count"]
        mean = statistics.fmean(s["process_micros"] for s in samples) / 1e6
        busy = min(processed * mean / raw.elapsed(i), 1)
        assert int(numbers(r"busy (\d+)%", finding)[0]) == pytest.approx(busy * 100, abs=5)


def test_a_callback_longer_than_the_period_is_no_samples_stolen() -> None:
    """No other client ran: a 1.5 s callback spans the 1 s polls, so its event is counted
    but its sample never comes back. One missing sample per poll is normal."""
    raw = Raw("callback_longer_than_period")
    missing = {
        i: raw.callback(i)["event_count"]
        - raw.callback(i - 1)["event_count"]
        - len(raw.perf(i, SINK, "client"))
        for i in range(1, len(raw))
    }
    counted_without_sample = [
        i
        for i in range(1, len(raw))
        if raw.callback(i)["event_count"] > raw.callback(i - 1)["event_count"]
        and raw.perf(i, SINK, "client") == []
        and raw.perf(i - 1, SINK, "client") is not None
    ]
    assert len(counted_without_sample) >= 2  # what the old rule called stolen
    assert max(missing.values()) == 1
    delays = [s["process_micros"] for i in range(len(raw)) for s in raw.perf(i, SINK, "client")]
    assert max(delays) > 1.4e6  # the callback sleeps 1.5 s, longer than the 1 s period
    assert of_kind(replay("callback_longer_than_period"), "samples stolen") == {}


def publisher_gaps_ms(raw: Raw) -> list[float]:
    return [
        s["micros_since_last_event"] / 1e3
        for i in range(len(raw))
        for s in raw.perf(i, PUB, "server") or ()
        if s["micros_since_last_event"] is not None
    ]


@pytest.mark.parametrize(
    ("name", "period_ms"),
    [("slow_callback", 50), ("slow_callback_250ms", 67), ("callback_longer_than_period", 400)],
)
def test_saturated_culprit_push_interval_matches_the_publisher(name: str, period_ms: int) -> None:
    """The only stream its publisher pushes: the publisher's gaps between pushes are that
    stream's, not the peak of per-poll rates (which said ~333 ms for the 400 ms publisher:
    some 1 s polls catch 3 events, some 2)."""
    raw, found = Raw(name), of_kind(replay(name), "saturated")
    gap = statistics.median(publisher_gaps_ms(raw))
    assert gap == pytest.approx(period_ms, abs=1)
    assert found
    for [finding] in found.values():
        shown = numbers(r"lab/source/1/value pushed every ~(\d+) ms$", finding)[0]
        assert float(shown) == pytest.approx(gap, abs=1)


def test_a_subscriber_falling_behind_but_receiving_is_not_an_error() -> None:
    """1 event per 1.5 s callback, 2.5 pushed per second, over 1 s polls: the backlog
    grows, some polls receive nothing, but never two in a row."""
    raw, found = (
        Raw("callback_longer_than_period"),
        of_kind(replay("callback_longer_than_period"), "backlog"),
    )
    counts = [raw.callback(i)["event_count"] for i in range(len(raw))]
    assert counts[-1] > counts[2]  # it receives, slowly
    received = [raw.callback(i)["server_counter"] for i in range(len(raw))]
    stalled = [i for i in found if received[i] == received[i - 1]]
    assert stalled and all(received[i - 1] > received[i - 2] for i in stalled)
    assert len(found) >= 3
    backlogs = [raw.backlog(i) for i in sorted(found)]
    assert backlogs == sorted(backlogs) and backlogs[-1] > backlogs[0]  # falling behind
    for i, [finding] in found.items():
        assert finding.severity == Severity.WARNING
        if i in stalled:
            assert without_verdict(finding.message).endswith(
                "; nothing received for 1 poll(s): a callback still running, an event thread "
                "stuck, or events lost (a loss shows only when the next event arrives)"
            )
        else:
            rate = (counts[i] - counts[i - 1]) / raw.elapsed(i)
            pushed = (raw.next_counter(i) - raw.next_counter(i - 1)) / raw.elapsed(i)
            assert pushed > rate > 0
            assert without_verdict(finding.message).endswith(
                f"; falling behind: {rate:.1f} events/s processed, {pushed:.1f} pushed"
            )


# --------------------------------------------------------------------------------------
# Missed events: publisher-side loss at the ZMQ high-water mark
# --------------------------------------------------------------------------------------


def test_missed_events_match_the_counters() -> None:
    raw, reports = Raw("missed_events"), replay("missed_events")
    found = of_kind(reports, "missed events")

    rose = [
        i
        for i in range(1, len(raw))
        if raw.callback(i)["missed_event_count"] > raw.callback(i - 1)["missed_event_count"]
    ]
    assert sorted(found) == rose and len(rose) == 2  # the burst, then its tail
    for i in rose:
        [finding] = found[i]
        assert (finding.severity, finding.server, finding.stream) == (Severity.ERROR, SINK, STREAM)
        gaps, lost = numbers(r"(\d+) gap\(s\) .*; about (\d+) events lost", finding)
        before, after = raw.callback(i - 1), raw.callback(i)
        assert int(gaps) == after["missed_event_count"] - before["missed_event_count"]
        assert int(lost) == (after["server_counter"] - before["server_counter"]) - (
            after["event_count"] - before["event_count"]
        )
        assert int(lost) > 0
    # the publisher did not restart: its counter only grew
    counters = [raw.next_counter(i) for i in range(len(raw))]
    assert counters == sorted(counters)
    # the last event pushed was received: every gap was detected and estimated
    last = raw.callback(len(raw) - 1)
    assert last["server_counter"] == counters[-1] - 1
    total_lost = sum(int(numbers(r"about (\d+) events lost", found[i][0])[0]) for i in rose)
    assert last["event_count"] + total_lost == last["server_counter"]


def test_samples_lost_when_the_ring_is_full() -> None:
    raw, reports = Raw("missed_events"), replay("missed_events")
    found = of_kind(reports, "samples lost")

    full = {
        i: [
            side
            for admin, side in ((PUB, "server"), (SINK, "client"))
            if len(raw.perf(i, admin, side) or ()) >= 256
        ]
        for i in range(len(raw))
    }
    assert sorted(found) == [i for i, sides in full.items() if sides]
    for i, findings in found.items():
        assert len(full[i]) == 2  # the burst filled both rings
        assert [(f.severity, f.server, f.stream) for f in findings] == [
            (Severity.WARNING, PUB, None),
            (Severity.WARNING, SINK, None),
        ]
        assert [
            numbers(r"(server|client) sample ring full \((\d+) samples\)", f) for f in findings
        ] == [
            ("server", "256"),
            ("client", "256"),
        ]


def test_the_lost_tail_of_a_burst_shows_as_a_backlog_until_the_next_event() -> None:
    raw, reports = Raw("missed_events"), replay("missed_events")
    backlog, missed = of_kind(reports, "backlog"), of_kind(reports, "missed events")

    [tail_found] = [i for i in missed if i > min(missed)]
    assert sorted(backlog) == list(range(min(backlog), tail_found))
    assert min(backlog) == min(missed) + 1 and len(backlog) == 2
    for polls, i in enumerate(sorted(backlog), start=1):
        [finding] = backlog[i]
        # an ERROR only once nothing was received for two polls in a row
        severity = Severity.ERROR if polls >= 2 else Severity.WARNING
        assert (finding.severity, finding.server, finding.stream) == (severity, SINK, STREAM)
        events, last_pushed, last_received, stalled = numbers(
            r"(\d+) events pushed .* \((?:(?:at least )?[\d.]+ s behind; )?"
            r"last pushed (\d+), last received (\d+)\), steady; "
            r"nothing received for (\d+) poll\(s\)",
            finding,
        )
        assert int(stalled) == polls
        assert int(last_pushed) == raw.next_counter(i) - 1
        assert int(last_received) == raw.callback(i)["server_counter"]
        assert raw.callback(i)["server_counter"] == raw.callback(i - 1)["server_counter"]
        assert raw.callback(i)["event_count"] == raw.callback(i - 1)["event_count"]
        # ... and those events were lost, not late: the next event shows the gap
        lost = numbers(r"about (\d+) events lost", missed[tail_found][0])[0]
        assert int(events) == int(lost) == raw.backlog(i)


def test_a_backlog_after_missed_events_says_the_events_may_be_lost() -> None:
    backlog = of_kind(replay("missed_events"), "backlog")
    assert backlog
    for [finding] in backlog.values():
        polls = 2 if finding.severity == Severity.ERROR else 1
        assert (
            f"steady; nothing received for {polls} poll(s): a callback still running, an "
            "event thread stuck, or events lost (a loss shows only when the next event arrives)"
            in finding.message
        )


def test_a_burst_of_fast_callbacks_is_not_saturated() -> None:
    """The full ring keeps the last 256 samples of the burst: 6.9 ms of callbacks back to
    back (92% busy) out of a 1 s poll. Over the poll, events processed x mean callback
    time / wall time: 1239 x 24.7 us = 31 ms, 3%."""
    raw, reports = Raw("missed_events"), replay("missed_events")
    [i] = [i for i in range(len(raw)) if len(raw.perf(i, SINK, "client") or ()) >= 256]
    process, sleep = callback_and_wait_micros(raw, i)
    processed = raw.callback(i)["event_count"] - raw.callback(i - 1)["event_count"]

    # the samples alone: under 10 ms, far less than half of the poll, and busy
    assert process + sleep < 10_000 < raw.elapsed(i) / 2 * 1e6
    assert process / (process + sleep) == pytest.approx(0.916, abs=0.001)
    assert process / (process + sleep) >= DEFAULTS.busy_fraction
    # over the poll
    assert processed == processed_since(raw, i) == 1239
    assert process / 256 == pytest.approx(24.7, abs=0.05)
    estimate = processed * process / 256 / 1e6 / raw.elapsed(i)
    assert estimate == pytest.approx(0.0306, abs=0.0001)
    assert busy_fraction(raw, i) == estimate
    assert of_kind(reports, "saturated") == {}
    # the rule uses that estimate: a threshold just below it raises the finding
    found = of_kind(
        replay("missed_events", Thresholds(busy_fraction=estimate * 0.99)), "saturated"
    )
    assert list(found) == [i]
    [finding] = found[i]
    assert finding.magnitude == pytest.approx(estimate, rel=1e-9)
    # the message says what the estimate is made of
    assert finding.message.startswith(
        "event thread busy 3% of the time (1239 events x 24.7 µs in callbacks over 1.0 s; "
        "the 256 samples cover only the last 6.9 ms); value 0.0 ms per event x 256"
    )
    above = replay("missed_events", Thresholds(busy_fraction=estimate * 1.01))
    assert of_kind(above, "saturated") == {}


def test_summary_of_missed_events_shows_the_largest_loss() -> None:
    """The burst (18690 events lost in 123 gaps), not its tail (71 events in 1 gap)."""
    found = of_kind(replay("missed_events"), "missed events")
    largest = max(int(numbers(r"about (\d+) events lost", f)[0]) for [f] in found.values())
    _, out, _ = run_cli("--replay", str(recording("missed_events")))
    summary = out.split("Summary")[-1]
    [line] = [line for line in summary.splitlines() if " missed events " in line]
    assert int(re.search(r"about (\d+) events lost", line)[1]) == largest
    # and the backlog of the lost tail at its worst: the ERROR, not the first WARNING
    [line] = [line for line in summary.splitlines() if " backlog " in line]
    assert line.startswith("ERROR backlog ") and "nothing received for 2 poll(s)" in line


# --------------------------------------------------------------------------------------
# Publisher restart
# --------------------------------------------------------------------------------------


def test_publisher_down_is_no_reply() -> None:
    raw, reports = Raw("publisher_restart"), replay("publisher_restart")
    found = of_kind(reports, "no reply")

    down = [i for i in range(len(raw)) if raw.reply(i, PUB) is None]
    assert sorted(found) == down and len(down) >= 2
    for i in down:
        [finding] = found[i]
        assert (finding.severity, finding.server, finding.stream) == (Severity.ERROR, PUB, None)
        assert finding.message == raw.entry(i, PUB)["error"]


def test_publisher_restart_resubscribes_the_subscriber() -> None:
    raw, reports = Raw("publisher_restart"), replay("publisher_restart")
    found = of_kind(reports, "resubscribed")

    went_back = [
        i
        for i in range(1, len(raw))
        if raw.callback(i)["server_counter"] < raw.callback(i - 1)["server_counter"]
    ]
    assert sorted(found) == went_back and len(went_back) == 1
    [i] = went_back
    [finding] = found[i]
    assert (finding.severity, finding.server, finding.stream) == (Severity.INFO, SINK, STREAM)
    before, after = numbers(r"went back (\d+) -> (\d+)", finding)
    assert (int(before), int(after)) == (
        raw.callback(i - 1)["server_counter"],
        raw.callback(i)["server_counter"],
    )
    # the facts of a restart: events go on, no gap, one more discarded event, a new port
    assert raw.callback(i)["event_count"] > raw.callback(i - 1)["event_count"]
    assert raw.callback(i)["missed_event_count"] == 0
    assert (
        raw.callback(i)["discarded_event_count"]
        == raw.callback(i - 1)["discarded_event_count"] + 1
    )
    kinds = {f.kind for report in reports for f in report.findings}
    assert not kinds & {"missed events", "backlog", "delayed", "samples stolen"}


def test_restarted_publisher_answers_without_the_stream_until_resubscribed() -> None:
    """Why the publisher's `restart` comes from a vanished stream, not from a counter
    going back: the stream comes back only as a new publisher, at a lower counter."""
    raw = Raw("publisher_restart")
    counters = [raw.next_counter(i) if raw.reply(i, PUB) else "down" for i in range(len(raw))]
    first_down = counters.index("down")
    back = next(i for i in range(first_down, len(raw)) if counters[i] not in ("down", None))
    assert counters[first_down - 1] > counters[back]  # it restarted at a lower counter
    assert None in counters[first_down:back]  # answering, but with no entry for the stream


def test_publisher_restart_raises_restart_on_the_publisher() -> None:
    raw, found = Raw("publisher_restart"), of_kind(replay("publisher_restart"), "restart")
    answered = [i for i in range(len(raw)) if raw.reply(i, PUB) is not None]
    # the first reply after the outage, compared with the last one before it
    [(before, vanished)] = [
        (a, b)
        for a, b in itertools.pairwise(answered)
        if b > a + 1 and raw.next_counter(b) is None
    ]
    assert list(found) == [vanished]
    [finding] = found[vanished]
    assert (finding.severity, finding.server, finding.stream) == (Severity.WARNING, PUB, STREAM)
    [last_pushed] = numbers(
        r"the stream vanished from its publisher \(last pushed (\d+)\)", finding
    )
    assert int(last_pushed) == raw.next_counter(before) - 1


# --------------------------------------------------------------------------------------
# Churn, not connected, samples stolen
# --------------------------------------------------------------------------------------


def test_churn_matches_the_wake_counts() -> None:
    raw, reports = Raw("churn"), replay("churn")
    found = of_kind(reports, "churn")

    expected = {}
    for i in range(len(raw)):
        wakes = [s["wake_count"] for s in window_samples(raw, i)]
        if len(wakes) >= DEFAULTS.min_samples and statistics.median(wakes) >= DEFAULTS.wake_count:
            expected[i] = wakes
    assert sorted(found) == sorted(expected) and len(expected) >= 3
    for i, wakes in expected.items():
        [finding] = found[i]
        assert (finding.severity, finding.server, finding.stream) == (Severity.WARNING, SINK, None)
        median, most, events = numbers(
            r"woken a median of ([\d.]+) times per event \(max (\d+), (\d+) events in", finding
        )
        assert float(median) == statistics.median(wakes)
        assert (int(most), int(events)) == (max(wakes), len(wakes))
        # the topic that comes and goes is named, with the polls it was seen in
        topics = [raw.reply(j, SINK)["client"]["event_callbacks"] for j in range(i + 1)]
        seen = sum(any(k.endswith("/lab/source/2/quiet.idl5_change") for k in t) for t in topics)
        assert 0 < seen < len(topics)
        named = f"coming and going: lab/source/2/quiet.idl5_change (in {seen} of {i + 1} polls)"
        assert named in finding.message
        assert finding.message.endswith("no delay measured yet")  # latency of a few ms
    # the churned topic is in the sink's callbacks, with nothing received
    churned = [
        v
        for k, v in raw.reply(len(raw) - 1, SINK)["client"]["event_callbacks"].items()
        if k.endswith("/lab/source/2/quiet.idl5_change")
    ]
    assert [c["event_count"] for c in churned] == [0]
    assert {f.kind for r in reports for f in r.findings} == {"churn"}


def test_not_connected_names_the_absent_device() -> None:
    raw, reports = Raw("not_connected"), replay("not_connected")
    found = of_kind(reports, "not connected")

    assert sorted(found) == list(range(len(raw)))
    for i, [finding] in found.items():
        [entry] = raw.reply(i, SINK)["client"]["not_connected"]
        assert (finding.severity, finding.server, finding.stream) == (
            Severity.WARNING,
            SINK,
            "lab/ghost/1/value.change",
        )
        assert (entry["device"], entry["attribute"], entry["event_type"]) == (
            "lab/ghost/1",
            "value",
            "change",
        )
        assert f"last heartbeat {entry['last_heartbeat']}" in finding.message
    assert {f.kind for r in reports for f in r.findings} == {"not connected"}


def test_samples_stolen_by_another_client() -> None:
    raw, reports = Raw("samples_stolen"), replay("samples_stolen")
    found = of_kind(reports, "samples stolen")

    expected: dict[int, list[tuple[str, str]]] = {}
    for i in range(1, len(raw)):
        pushed = raw.next_counter(i) - raw.next_counter(i - 1)
        processed = raw.callback(i)["event_count"] - raw.callback(i - 1)["event_count"]
        for admin, side, verb, events in (
            (PUB, "server", "pushed", pushed),
            (SINK, "client", "processed", processed),
        ):
            before, now = raw.perf(i - 1, admin, side), raw.perf(i, admin, side)
            if before is None or now is None:
                continue
            if events - len(now) >= 2 and len(now) < events / 2:
                message = f"{events} events {verb} but {len(now)} performance samples came back"
                expected.setdefault(i, []).append((admin, message))
    assert {
        i: [(f.server, f.message.split(":")[0]) for f in fs] for i, fs in found.items()
    } == expected
    assert len(expected) >= 3
    assert all([admin for admin, _ in entries] == [PUB, SINK] for entries in expected.values())
    assert all(
        f.severity == Severity.WARNING and f.stream is None for fs in found.values() for f in fs
    )
    assert {f.kind for r in reports for f in r.findings} == {"samples stolen"}


# --------------------------------------------------------------------------------------
# Threshold options, through the command line on the recordings
# --------------------------------------------------------------------------------------


def cli_findings(name: str, *options: str) -> list[dict[str, Any]]:
    status, out, err = run_cli("--replay", str(recording(name)), "--format", "json", *options)
    assert (status, err) == (0, "")
    *snapshots, _ = (json.loads(line) for line in out.splitlines())
    return [dict(f, snapshot=i) for i, o in enumerate(snapshots) for f in o["findings"]]


def kinds(findings: list[dict[str, Any]]) -> set[str]:
    return {f["kind"] for f in findings}


def test_backlog_threshold_option() -> None:
    raw = Raw("slow_callback")
    # the largest backlog seen in two polls in a row
    largest = max(min(raw.backlog(i) or 0, raw.backlog(i - 1) or 0) for i in range(1, len(raw)))
    found = cli_findings("slow_callback", "--backlog-threshold", str(largest))
    assert [f["snapshot"] for f in found if f["kind"] == "backlog"] == [len(raw) - 1]
    higher = cli_findings("slow_callback", "--backlog-threshold", str(largest + 1))
    assert "backlog" not in kinds(higher)


def test_busy_threshold_option() -> None:
    raw = Raw("healthy")
    busy = {i: b for i in range(len(raw)) if (b := busy_fraction(raw, i)) is not None}
    assert len(busy) >= 3 and max(busy.values()) < 0.01  # a healthy thread mostly waits
    threshold = statistics.median(busy.values())
    found = cli_findings("healthy", "--busy-threshold", f"{threshold}")
    assert {f["snapshot"] for f in found} == {i for i, b in busy.items() if b >= threshold}
    assert kinds(found) == {"saturated"}


def test_latency_threshold_option() -> None:
    raw = Raw("healthy")
    p90s = {i: latency_high(window_latencies(raw, i)) for i in range(1, len(raw))}
    threshold = statistics.median(p90s.values())
    found = cli_findings("healthy", "--latency-threshold", f"{threshold}")
    assert {f["snapshot"] for f in found} == {i for i, p90 in p90s.items() if p90 >= threshold}
    assert kinds(found) == {"latency"}
    # no backlog, not rising, a sleeping thread: no alarm, only a note on the timestamps
    assert {f["severity"] for f in found} == {"INFO"}


def test_wake_threshold_option() -> None:
    raw = Raw("churn")
    most = max(
        statistics.median(s["wake_count"] for s in window_samples(raw, i))
        for i in range(1, len(raw))
    )
    assert cli_findings("churn", "--wake-threshold", f"{most + 1:.0f}") == []
    assert kinds(cli_findings("churn", "--wake-threshold", f"{most - 1:.0f}")) == {"churn"}


# --------------------------------------------------------------------------------------
# The rules on small hand-built replies: edges a recording cannot show
# --------------------------------------------------------------------------------------

HOST = "tango://127.0.0.1:10000/"
T0 = datetime(2026, 1, 1, 12, 0, 0)


def pub_reply(counter: int | None, perf: list | None = None) -> dict[str, Any]:
    counters = {} if counter is None else {f"{HOST}lab/source/1/value.change": counter}
    return {"version": 1, "server": {"event_counters": counters, "perf": perf}, "client": None}


def sink_reply(
    server_counter: int = 0,
    event_count: int = 0,
    missed: int = 0,
    perf: list | None = None,
    channels: Mapping[str, str] | None = None,
    resubscribed: str | None = None,
) -> dict[str, Any]:
    callback = {
        "channel_name": f"{HOST}dserver/eventlab/pub",
        "callback_count": 1,
        "server_counter": server_counter,
        "event_count": event_count,
        "missed_event_count": missed,
        "discarded_event_count": 0,
        "last_resubscribed": resubscribed,
    }
    if channels is None:
        channels = {f"{HOST}dserver/eventlab/pub": "tcp://127.0.0.1:5555"}
    return {
        "version": 1,
        "server": None,
        "client": {
            "event_callbacks": {f"{HOST}lab/source/1/value.idl5_change": callback},
            "not_connected": [],
            "event_channels": {k: {"endpoint": v} for k, v in channels.items()},
            "perf": perf,
        },
    }


def pub_sample() -> dict[str, Any]:
    return {"micros_since_last_event": 1000, "push_event_micros": 50}


def sink_sample(
    process: int = 100, sleep: int = 1000, latency: int | None = 200, wake: int = 1
) -> dict[str, Any]:
    return {
        "attr_name": "value",
        "micros_since_last_event": 1000,
        "sleep_micros": sleep,
        "process_micros": process,
        "first_callback_latency_micros": latency,
        "callback_count": 1,
        "wake_count": wake,
        "discarded": False,
    }


def analyse(
    *polls: Mapping[str, dict[str, Any] | None], thresholds: Thresholds | None = None
) -> list[tuple[Finding, ...]]:
    """Findings of consecutive snapshots one second apart; a None reply is an error."""
    return [findings for findings, _ in analyse_with_unjudged(*polls, thresholds=thresholds)]


def analyse_with_unjudged(
    *polls: Mapping[str, dict[str, Any] | None],
    thresholds: Thresholds | None = None,
    period_s: float = 1.0,
) -> list[tuple[tuple[Finding, ...], tuple[Unjudged, ...]]]:
    session = MonitorSession(Analyser(thresholds))
    reports = [
        session.update(
            Snapshot(
                T0 + timedelta(seconds=i * period_s),
                tuple(
                    ServerPoll(admin, ("a/b/c",), reply=reply, error=None if reply else "down")
                    for admin, reply in replies.items()
                ),
            )
        )
        for i, replies in enumerate(polls)
    ]
    return [(report.findings or (), report.unjudged) for report in reports]


# The sink's first reply once perf monitoring is on: the samples rules judge from the next.
PERF_ON = {SINK: sink_reply(perf=[])}


@pytest.mark.parametrize("side", ["server", "client"])
@pytest.mark.parametrize(("count", "raised"), [(255, False), (256, True)])
def test_ring_full_at_256_samples(side: str, count: int, raised: bool) -> None:
    if side == "server":
        reply, admin = pub_reply(1, [pub_sample() for _ in range(count)]), PUB
    else:
        reply, admin = sink_reply(perf=[sink_sample() for _ in range(count)]), SINK
    [findings] = analyse({admin: reply})

    lost = [f for f in findings if f.kind == "samples lost"]
    assert [(f.severity, f.server, f.stream) for f in lost] == (
        [(Severity.WARNING, admin, None)] if raised else []
    )
    if raised:
        assert f"{side} sample ring full (256 samples)" in lost[0].message


@pytest.mark.parametrize(
    ("channel_host", "endpoint", "raised"),
    [
        ("tango-db.example.org:10000", "tcp://127.0.0.1:5555", True),
        ("tango-db.example.org:10000", "tcp://10.1.2.3:5555", False),
        ("127.0.0.1:10000", "tcp://127.0.0.1:5555", False),
        ("localhost:10000", "tcp://127.0.0.1:5555", False),
    ],
)
def test_loopback_endpoint(channel_host: str, endpoint: str, raised: bool) -> None:
    channel = f"tango://{channel_host}/dserver/eventlab/pub"
    [findings] = analyse({SINK: sink_reply(channels={channel: endpoint})})

    found = [f for f in findings if f.kind == "loopback endpoint"]
    if raised:
        assert [(f.severity, f.server, f.stream) for f in found] == [
            (Severity.INFO, SINK, "dserver/eventlab/pub")
        ]
        assert endpoint in found[0].message
    else:
        assert found == []


def backlog_polls(*backlogs: int, processed: int = 1) -> list[dict[str, dict[str, Any]]]:
    """Publisher 100 events ahead each poll; the sink `backlog` behind, still processing."""
    return [
        {
            PUB: pub_reply(100 * (i + 1) + 1),
            SINK: sink_reply(100 * (i + 1) - b, processed * (i + 1)),
        }
        for i, b in enumerate(backlogs)
    ]


@pytest.mark.parametrize(
    ("backlogs", "raised_at"),
    [
        ((5, 5), [1]),  # at the threshold, two polls in a row
        ((4, 5), []),
        ((5, 4), []),
        ((9,), []),  # one poll is not enough
        ((6, 0, 6), []),
        ((5, 8, 12), [1, 2]),
    ],
)
def test_backlog_needs_two_polls_at_the_threshold(
    backlogs: tuple[int, ...], raised_at: list[int]
) -> None:
    results = analyse(*backlog_polls(*backlogs))
    found = [i for i, findings in enumerate(results) if any(f.kind == "backlog" for f in findings)]
    assert found == raised_at
    for i in raised_at:
        [finding] = [f for f in results[i] if f.kind == "backlog"]
        assert (finding.severity, finding.server, finding.stream) == (
            Severity.WARNING,
            SINK,
            STREAM,
        )
        assert f"{backlogs[i]} events pushed" in finding.message


def test_backlog_not_draining_is_an_error_after_two_polls() -> None:
    """Nothing received: a WARNING after one poll (a callback may run longer than the
    period), an ERROR after two in a row; progress starts the count again."""
    received = [3, 3, 3, 3, 4, 4, 4]
    polls = [{PUB: pub_reply(11), SINK: sink_reply(r, r)} for r in received]
    results = analyse(*polls)

    backlog = [[f for f in findings if f.kind == "backlog"] for findings in results]
    assert backlog[0] == []  # nothing to compare with
    stalled = [None, 1, 2, 3, 0, 1, 2]
    for i in range(1, len(polls)):
        [finding] = backlog[i]
        assert (finding.server, finding.stream) == (SINK, STREAM)
        assert finding.severity == (Severity.ERROR if stalled[i] >= 2 else Severity.WARNING)
        assert f"last pushed 10, last received {received[i]})" in finding.message
        assert finding.magnitude == 10 - received[i]
        if stalled[i]:
            assert without_verdict(finding.message).endswith(
                f"steady; nothing received for {stalled[i]} poll(s): a callback still "
                "running, an event thread stuck, or events lost (a loss shows only when the "
                "next event arrives)"
            )
        else:  # nothing pushed meanwhile: it drains
            assert without_verdict(finding.message).endswith(
                "shrinking; drains in ~6 s at 1.0 events/s"
            )


@pytest.mark.parametrize(
    ("pushed", "processed", "ending"),
    [
        (10, 9, "growing (+1); falling behind: 9.0 events/s processed, 10.0 pushed"),
        (10, 1, "growing (+9); falling behind: 1.0 events/s processed, 10.0 pushed"),
        (10, 10, "steady; drains in ~2 s at 10.0 events/s"),  # as fast as pushed
        (10, 11, "shrinking; drains in ~2 s at 11.0 events/s"),
        (0, 4, "shrinking; drains in ~4 s at 4.0 events/s"),  # nothing pushed
    ],
)
def test_backlog_falling_behind_or_draining(pushed: int, processed: int, ending: str) -> None:
    """20 events behind, then `pushed` and `processed` events per 1 s poll: falling behind
    only while the publisher pushes more than the subscriber processes. Never an ERROR
    while events are received, however long it falls behind."""
    polls = [
        {
            PUB: pub_reply(101 + pushed * i),
            SINK: sink_reply(80 + processed * i, 80 + processed * i),
        }
        for i in range(4)
    ]
    results = analyse(*polls)

    for i in range(1, len(polls)):
        [finding] = [f for f in results[i] if f.kind == "backlog"]
        behind = 20 + (pushed - processed) * i
        assert (finding.severity, finding.magnitude) == (Severity.WARNING, behind)
        assert finding.message.startswith(f"{behind} events pushed by {PUB} not yet received")
        if i == 1:
            assert without_verdict(finding.message).endswith(f"), {ending}")


def test_backlog_stuck_while_the_publisher_pushes_is_an_error_after_two_polls() -> None:
    polls = [{PUB: pub_reply(101 + 10 * i), SINK: sink_reply(80, 80)} for i in range(4)]
    backlog = [[f for f in findings if f.kind == "backlog"] for findings in analyse(*polls)]
    assert [(f.severity, f.magnitude) for [f] in backlog[1:]] == [
        (Severity.WARNING, 30),
        (Severity.ERROR, 40),
        (Severity.ERROR, 50),
    ]
    assert (
        [
            re.search(r"nothing received for \d+ poll\(s\)", f.message).group(0)  # type: ignore[union-attr]
            for [f] in backlog[1:]
        ]
        == [f"nothing received for {n} poll(s)" for n in (1, 2, 3)]
    )


def test_a_stall_below_the_backlog_threshold_is_delayed_not_backlog() -> None:
    polls = [{PUB: pub_reply(11), SINK: sink_reply(7, 7)}] * 3  # 3 events behind
    results = analyse(*polls)
    assert [[f.kind for f in findings] for findings in results] == [[], ["delayed"], ["delayed"]]
    assert {f.severity for f in results[2]} == {Severity.WARNING}


def test_backlog_threshold_is_configurable() -> None:
    polls = backlog_polls(5, 5)
    assert any(f.kind == "backlog" for f in analyse(*polls)[1])
    high = analyse(*polls, thresholds=Thresholds(backlog_events=6))
    assert not any(f.kind == "backlog" for f in high[1])


def test_missed_events_across_a_restart_give_no_lost_estimate() -> None:
    polls = [{SINK: sink_reply(50, 50)}, {SINK: sink_reply(3, 52, missed=1)}]
    [_, findings] = analyse(*polls)
    [finding] = [f for f in findings if f.kind == "missed events"]
    assert finding.severity == Severity.ERROR
    assert "1 gap(s)" in finding.message and "events lost" not in finding.message
    assert finding.magnitude == 1  # no estimate: the gaps


def test_missed_events_estimate() -> None:
    polls = [{SINK: sink_reply(10, 10)}, {SINK: sink_reply(60, 20, missed=2)}]
    [_, findings] = analyse(*polls)
    [finding] = [f for f in findings if f.kind == "missed events"]
    assert numbers(r"(\d+) gap\(s\) .*; about (\d+) events lost", finding) == ("2", "40")
    assert finding.magnitude == 40


def test_summary_of_missed_events_keeps_the_largest_loss_even_when_it_comes_later() -> None:
    polls = [
        {SINK: sink_reply(10, 10)},
        {SINK: sink_reply(60, 20, missed=5)},  # 40 lost in 5 gaps
        {SINK: sink_reply(70, 30)},
        {SINK: sink_reply(170, 40, missed=1)},  # 90 lost in 1 gap
        {SINK: sink_reply(200, 50, missed=3)},  # 20 lost in 3 gaps
    ]
    log = FindingsLog()
    for i, findings in enumerate(analyse(*polls)):
        log.add(T0 + timedelta(seconds=i), findings)
    [entry] = log.entries
    assert (entry.worst.magnitude, entry.last.magnitude, entry.snapshots) == (90, 20, 3)
    assert "1 gap(s) in the server counter detected; about 90 events lost" in entry.worst.message


def test_a_stream_vanished_from_its_publisher_is_a_restart() -> None:
    [_, findings] = analyse({PUB: pub_reply(27)}, {PUB: pub_reply(None)})
    [finding] = findings
    assert (finding.severity, finding.kind, finding.server, finding.stream) == (
        Severity.WARNING,
        "restart",
        PUB,
        STREAM,
    )
    assert finding.message == (
        "the stream vanished from its publisher (last pushed 26): cppTango keeps a stream "
        "as long as the process lives, so this server restarted"
    )


def test_publisher_counter_going_back_is_a_restart() -> None:
    [_, findings] = analyse({PUB: pub_reply(27)}, {PUB: pub_reply(3)})
    [finding] = findings
    assert (finding.severity, finding.kind, finding.server, finding.stream) == (
        Severity.WARNING,
        "restart",
        PUB,
        STREAM,
    )
    assert "went back 26 -> 2" in finding.message


@pytest.mark.parametrize(
    ("samples", "wake", "raised"),
    [(9, 50, False), (10, 2, True), (10, 1, False), (30, 3, True)],
)
def test_churn_needs_enough_samples(samples: int, wake: int, raised: bool) -> None:
    [_, findings] = analyse(PERF_ON, {SINK: sink_reply(perf=[sink_sample(wake=wake)] * samples)})
    assert any(f.kind == "churn" for f in findings) == raised


def test_wake_threshold_is_configurable() -> None:
    reply = {SINK: sink_reply(perf=[sink_sample(wake=3)] * 10)}
    assert any(f.kind == "churn" for f in analyse(PERF_ON, reply)[1])
    assert not any(
        f.kind == "churn" for f in analyse(PERF_ON, reply, thresholds=Thresholds(wake_count=4))[1]
    )


def test_churn_is_judged_over_the_window_not_one_poll() -> None:
    """4 events a poll (a short period): no poll alone has 10 samples, the window does."""
    polls = [{SINK: sink_reply(perf=[sink_sample(wake=50)] * 4)}] * 3
    results = analyse_with_unjudged(PERF_ON, *polls)
    churn = [[f for f in findings if f.kind == "churn"] for findings, _ in results]
    assert [len(found) for found in churn] == [0, 0, 0, 1]
    assert "(max 50, 12 events in 3 s)" in churn[3][0].message
    reasons = [{u.reason for u in unjudged if u.check == "churn"} for _, unjudged in results]
    assert reasons == [
        {"performance monitoring just switched on (judged from the next poll)"},
        {"fewer than 10 events in the window"},
        {"fewer than 10 events in the window"},
        set(),
    ]


def test_the_first_reply_after_perf_is_switched_on_raises_nothing() -> None:
    """Its samples cover only the time since the switch: a fraction of almost nothing."""
    busy = [sink_sample(process=100_000, sleep=0, latency=5_000_000, wake=50)] * 20
    [(findings, unjudged)] = analyse_with_unjudged({SINK: sink_reply(perf=busy)})
    assert findings == ()
    assert {(u.check, u.reason) for u in unjudged if u.check in SAMPLE_CHECKS} == {
        (check, "performance monitoring just switched on (judged from the next poll)")
        for check in SAMPLE_CHECKS
    }
    # without --monitor: not judged, and said why
    [(_, unjudged)] = analyse_with_unjudged({SINK: sink_reply(perf=None)})
    assert {u.reason for u in unjudged if u.check in SAMPLE_CHECKS} == {
        "no performance samples (run with --monitor)"
    }


@pytest.mark.parametrize(("latency_s", "raised"), [(0.999, False), (1.0, True)])
def test_latency_threshold_edge(latency_s: float, raised: bool) -> None:
    perf = [sink_sample(latency=int(latency_s * 1e6))] * 10
    [_, findings] = analyse(PERF_ON, {SINK: sink_reply(perf=perf)})
    assert any(f.kind == "latency" for f in findings) == raised


def test_latency_from_past_timestamps_on_an_idle_consumer_is_no_warning() -> None:
    """5 s of latency, every event received, the thread asleep: the device's timestamps."""
    perf = [sink_sample(process=100, sleep=99_000, latency=5_000_000)] * 10
    first = {PUB: pub_reply(11), SINK: sink_reply(10, 10, perf=[])}
    results = analyse(first, {PUB: pub_reply(21), SINK: sink_reply(20, 20, perf=perf)})
    [latency] = [f for f in results[1] if f.kind == "latency"]
    assert latency.severity == Severity.INFO
    assert "but no delay is seen" in latency.message and "timestamp" in latency.message


def test_latency_with_a_backlog_is_a_warning() -> None:
    perf = [sink_sample(process=100, sleep=99_000, latency=5_000_000)] * 10
    polls = [
        {PUB: pub_reply(101 + 10 * i), SINK: sink_reply(10 * i, 10 * i, perf=perf)}
        for i in range(1, 3)
    ]
    results = analyse({PUB: pub_reply(91), SINK: sink_reply(perf=[])}, *polls)
    [latency] = [f for f in results[2] if f.kind == "latency"]
    assert latency.severity == Severity.WARNING
    assert "(100 events not yet received)" in latency.message


@pytest.mark.parametrize(
    ("process", "sleep", "raised"),
    [
        (79_000, 21_000, False),
        (80_000, 20_000, True),  # at the threshold
        (100_000, 0, True),
        (300_000, 0, True),  # callbacks longer than the poll period: still 100%, not 300%
        # samples covering 12.5 ms of the 1 s poll: over the poll, 10 events x 1 ms = 1%
        (1_000, 249, False),
    ],
)
def test_busy_threshold_edge(process: int, sleep: int, raised: bool) -> None:
    perf = [sink_sample(process=process, sleep=sleep)] * 10  # 10 samples, 1 s apart
    results = analyse({SINK: sink_reply(1, 1, perf=[])}, {SINK: sink_reply(11, 11, perf=perf)})
    found = [f for f in results[1] if f.kind == "saturated"]
    assert len(found) == raised
    if found:
        busy = process / (process + sleep)
        assert found[0].magnitude == pytest.approx(min(busy, 1.0))
        assert found[0].message.startswith(
            f"event thread busy {busy:.0%} of the time (callbacks {10 * process / 1e6:.1f} s, "
            f"waiting for events {10 * sleep / 1e6:.1f} s); value {process / 1e3:.1f} ms per "
            "event x 10"
        )


@pytest.mark.parametrize(
    ("sleep", "events", "busy"),
    [
        (10_000, 10, 80),  # 10 x 50 ms: half the poll, the samples' own fraction (80%)
        (9_999, 10, None),  # just under half: over the poll, 10 events x 40 ms = 40%
        (9_999, 20, 80),  # 20 events x 40 ms = 80%
        (9_999, 19, None),  # 76%
        (9_999, 30, 100),  # 120%: at most 100%
        (0, 30, 100),
    ],
)
def test_busy_over_the_poll_when_the_samples_cover_less_than_half(
    sleep: int, events: int, busy: int | None
) -> None:
    """10 samples of 40 ms callbacks, 1 s polls: a full ring in a burst keeps only its
    end, so below half of the poll the busy fraction is the events processed since the
    poll before x the mean callback time, over the wall time."""
    perf = [sink_sample(process=40_000, sleep=sleep)] * 10
    polls = [
        {SINK: sink_reply(1, 1, perf=[])},
        {SINK: sink_reply(1 + events, 1 + events, perf=perf)},
    ]
    found = [f for f in analyse(*polls)[1] if f.kind == "saturated"]
    if busy is None:
        assert found == []
        return
    [finding] = found
    over_the_poll = min(events * 40_000 / 1e6, 1.0)
    magnitude = 40_000 / (40_000 + sleep) if sleep == 10_000 else over_the_poll
    assert finding.magnitude == pytest.approx(magnitude)
    basis = (
        "callbacks 0.4 s, waiting for events 0.1 s"
        if sleep == 10_000
        else f"{events} events x 40.0 ms in callbacks over 1.0 s; "
        f"the 10 samples cover only the last {(400_000 + 10 * sleep) / 1e3:.1f} ms"
    )
    assert finding.message.startswith(
        f"event thread busy {busy}% of the time ({basis}); value 40.0 ms per event x 10"
    )


def test_busy_on_the_first_reply_is_not_judged() -> None:
    """No poll before: the samples (12.5 ms of them here, 80% in callbacks) may cover only
    the time since perf monitoring was switched on. A poll later the same samples are
    weighed against the poll: 10 events x 1 ms in 1 s, 1%."""
    perf = [sink_sample(process=1_000, sleep=249)] * 10
    results = analyse({SINK: sink_reply(1, 1, perf=perf)}, {SINK: sink_reply(11, 11, perf=perf)})
    assert results == [(), ()]
    busy = [sink_sample(process=80_000, sleep=20_000)] * 10  # covering the whole poll
    results = analyse({SINK: sink_reply(1, 1, perf=busy)}, {SINK: sink_reply(11, 11, perf=busy)})
    assert [[f.kind for f in findings] for findings in results] == [[], ["saturated"]]
    assert results[1][0].message.startswith("event thread busy 80% of the time")


def test_busy_fraction_ignores_discarded_samples_and_needs_time() -> None:
    discarded = dict(sink_sample(process=100_000, sleep=0), discarded=True)
    perf = [sink_sample(process=10_000, sleep=90_000)] * 10 + [discarded] * 100
    [_, findings] = analyse(PERF_ON, {SINK: sink_reply(perf=perf)})
    assert not any(f.kind == "saturated" for f in findings)
    idle = {SINK: sink_reply(perf=[sink_sample(process=0, sleep=0)] * 10)}
    [_, findings] = analyse(PERF_ON, idle)
    assert not any(f.kind == "saturated" for f in findings)


def busy_polls(
    counters: Sequence[int], gaps_us: Sequence[int] = ()
) -> list[dict[str, dict[str, Any]]]:
    """A publisher at these counters (with one sample per gap in each reply) and a sink
    whose event thread never waits."""
    perf = [sink_sample(process=100_000, sleep=0)] * 5
    samples = [dict(pub_sample(), micros_since_last_event=gap) for gap in gaps_us]
    return [
        {PUB: pub_reply(counter, samples), SINK: sink_reply(i, i, perf=perf)}
        for i, counter in enumerate(counters)
    ]


def culprit(polls: list[dict[str, dict[str, Any]]]) -> list[str]:
    """The culprit text of the saturated finding at each snapshot."""
    return [
        f.message.split("; ", 1)[1]
        for findings in analyse(*polls)
        for f in findings
        if f.kind == "saturated"
    ]


def test_culprit_push_interval_of_a_lone_stream_is_its_publisher_median_gap() -> None:
    gaps = [40_000, 50_000, 400_000]  # median 50 ms, mean 163 ms
    assert (
        culprit(busy_polls([1, 21, 41], gaps))
        == ["value 100.0 ms per event x 5, lab/source/1/value pushed every ~50 ms"] * 2
    )


def test_culprit_pace_is_the_stream_counter_when_other_streams_move() -> None:
    """The server's gap samples (median 50 ms) mix its two moving streams: the stream's
    own counter says 10 events a second."""
    polls = busy_polls([1, 11, 21], [40_000, 50_000, 400_000])
    for i, poll in enumerate(polls):
        poll[PUB]["server"]["event_counters"][f"{HOST}lab/source/2/other.change"] = 1 + 7 * i
    assert (
        culprit(polls)
        == ["value 100.0 ms per event x 5, lab/source/1/value pushed every ~100 ms"] * 2
    )


def test_culprit_pace_from_the_counter_over_the_intervals_it_moved() -> None:
    """No gap samples: the counter over the window's intervals in which it moved (not the
    peak of one poll); over a restart (counter back) it counts the events since the restart,
    the new counter (cppTango's counters start again from 0)."""
    assert culprit(busy_polls([1, 11, 41, 51, 3, 13, 13])) == [
        "value 100.0 ms per event x 5, lab/source/1/value pushed every ~100 ms",  # 10 in 1 s
        "value 100.0 ms per event x 5, lab/source/1/value pushed every ~50 ms",  # 40 in 2 s
        "value 100.0 ms per event x 5, lab/source/1/value pushed every ~60 ms",  # 50 in 3 s
        "value 100.0 ms per event x 5, lab/source/1/value pushed every ~77 ms",  # +2 after 0
        "value 100.0 ms per event x 5, lab/source/1/value pushed every ~81 ms",  # 62 in 5 s
        "value 100.0 ms per event x 5, lab/source/1/value pushed every ~81 ms",  # quiet 1 s
    ]


@pytest.mark.parametrize(
    ("events", "samples", "raised"),
    [
        (1, 0, False),  # the sample of the callback running at the query never comes back
        (2, 0, True),
        (2, 1, False),
        (3, 1, True),
        (4, 2, False),  # half came back
        (5, 2, True),
        (10, 9, False),
        (20, 10, False),
        (20, 9, True),
    ],
)
@pytest.mark.parametrize("side", ["server", "client"])
def test_samples_stolen_edges(side: str, events: int, samples: int, raised: bool) -> None:
    if side == "server":
        admin, verb = PUB, "pushed"
        polls = [{PUB: pub_reply(1, [])}, {PUB: pub_reply(1 + events, [pub_sample()] * samples)}]
    else:
        admin, verb = SINK, "processed"
        perf = [sink_sample()] * samples
        polls = [{SINK: sink_reply(1, 1, perf=[])}, {SINK: sink_reply(1, 1 + events, perf=perf)}]
    [_, findings] = analyse(*polls)

    stolen = [f for f in findings if f.kind == "samples stolen"]
    assert [(f.severity, f.server, f.stream) for f in stolen] == (
        [(Severity.WARNING, admin, None)] if raised else []
    )
    if raised:
        assert stolen[0].message == (
            f"{events} events {verb} but {samples} performance samples came back: "
            "another client is calling QueryEventSystem on this server"
        )


def test_samples_stolen_is_not_raised_on_a_full_ring() -> None:
    polls = [{PUB: pub_reply(1, [])}, {PUB: pub_reply(10_001, [pub_sample()] * 256)}]
    [_, findings] = analyse(*polls)
    assert [f.kind for f in findings] == ["samples lost"]


def test_samples_stolen_needs_perf_on_in_the_previous_reply() -> None:
    on, off = [], None
    # perf just switched on (previous reply: perf null): no finding
    results = analyse({PUB: pub_reply(1, off)}, {PUB: pub_reply(5, on)}, {PUB: pub_reply(9, on)})
    assert [[f.kind for f in findings] for findings in results] == [[], [], ["samples stolen"]]
    # nothing pushed: nothing to miss
    results = analyse({PUB: pub_reply(5, on)}, {PUB: pub_reply(5, on)})
    assert results[1] == ()


def finding(
    severity: Severity, message: str, kind: str = "backlog", magnitude: float = 0.0
) -> Finding:
    return Finding(severity, kind, SINK, STREAM, message, magnitude)


def test_magnitude_is_not_compared() -> None:
    assert finding(Severity.WARNING, "a", magnitude=1) == finding(Severity.WARNING, "a")


def test_summary_keeps_the_worst_finding() -> None:
    """Highest severity, then largest magnitude; of equals, the first raised."""
    W, E = Severity.WARNING, Severity.ERROR
    raised = [
        ([finding(W, "a", magnitude=20)], "a"),
        ([finding(W, "b", magnitude=50), finding(Severity.INFO, "x", "resubscribed")], "b"),
        ([], "b"),
        ([finding(W, "c", magnitude=50)], "b"),  # as bad as b: b stays
        ([finding(W, "d", magnitude=30)], "b"),
        ([finding(E, "e", magnitude=1)], "e"),  # the severity first
        ([finding(W, "f", magnitude=1000)], "e"),
        ([finding(E, "g", magnitude=2)], "g"),
        ([finding(E, "h", magnitude=2)], "g"),
    ]
    log = FindingsLog()
    for i, (findings, worst) in enumerate(raised):
        log.add(T0 + timedelta(seconds=i), findings)
        assert log.entries[0].worst.message == worst

    backlog, resubscribed = log.entries
    assert (backlog.worst.message, backlog.last.message, backlog.severity) == (
        "g",
        "h",
        Severity.ERROR,
    )
    assert (backlog.snapshots, backlog.first_time, backlog.last_time) == (
        8,
        T0,
        T0 + timedelta(seconds=8),
    )
    assert log.worst == Severity.ERROR
    assert render_summary(log).splitlines()[1:-1] == [
        "- Findings in 9 snapshot(s) from 2026-01-01T12:00:00 to 2026-01-01T12:00:08",
        f"ERROR backlog {SINK} {STREAM}: g [in 8 snapshot(s), 12:00:00 to 12:00:08]",
        f"INFO resubscribed {SINK} {STREAM}: x [in 1 snapshot(s), 12:00:01]",
    ]
    assert resubscribed.worst is resubscribed.last


def test_no_reply_is_an_error() -> None:
    [findings] = analyse({PUB: None})
    assert [(f.severity, f.kind, f.server, f.message) for f in findings] == [
        (Severity.ERROR, "no reply", PUB, "down")
    ]


def test_a_growing_backlog_is_never_promised_a_drain() -> None:
    """The backlog grows (+5 a poll) although the rates, averaged over the poll, say the
    subscriber processes as fast as the publisher pushes (its received counter lags its
    processed count: events missed): falling behind, no drain time."""
    polls = [
        {PUB: pub_reply(101 + 10 * i), SINK: sink_reply(80 + 5 * i, 80 + 10 * i)} for i in range(3)
    ]
    results = analyse(*polls)
    [finding] = [f for f in results[2] if f.kind == "backlog"]
    assert "growing (+5)" in finding.message
    assert "drains" not in finding.message
    assert without_verdict(finding.message).endswith(
        "falling behind: 10.0 events/s processed, 10.0 pushed"
    )
