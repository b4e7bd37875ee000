"""On the tutorial system the tool states the tutorial's conclusion itself, live and replayed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BIN = Path(sys.executable).parent
TUTORIAL = [str(BIN / "ska-tango-event-monitor-tutorial")]
MONITOR = [sys.executable, "-m", "ska_tango_event_monitor"]
SCAN_POINTS, PERIOD_S, POLLS = 40, 2, 8  # a 4 s scan at 10 Hz, watched for 16 s


def run_scan(state_dir: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`ska-tango-event-monitor-tutorial scan` on the system started in `state_dir`."""
    return subprocess.run(
        [*TUTORIAL, "scan", "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def start_system(
    state_dir: Path, rogue_delay: float, scan_points: int = SCAN_POINTS
) -> dict[str, str]:
    up = subprocess.run(
        [
            *TUTORIAL,
            "up",
            "--state-dir",
            str(state_dir),
            "--scan-points",
            str(scan_points),
            "--rogue-delay",
            str(rogue_delay),
            "--scan-timeout",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert up.returncode == 0, up.stderr
    tango_host = re.search(r"export TANGO_HOST=(\S+)", up.stdout)
    assert tango_host is not None, up.stdout
    return {**os.environ, "TANGO_HOST": tango_host[1]}


@pytest.fixture(params=[0.3, 0.0], ids=["rogue", "healthy"])
def tutorial_run(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict]:
    """The monitor live through a scan, with its recording; the system stopped afterwards."""
    state_dir, recording = tmp_path / "state", tmp_path / "run.jsonl.gz"
    env = start_system(state_dir, request.param)
    try:
        monitor = subprocess.Popen(
            [
                *MONITOR,
                "--monitor",
                "--polling-period",
                str(PERIOD_S),
                "--count",
                str(POLLS),
                "-o",
                str(recording),
                "foo/bar/hw",
                "foo/bar/top",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        time.sleep(0.5)  # after the first snapshot
        scan = run_scan(state_dir, env)
        out, err = monitor.communicate(timeout=POLLS * PERIOD_S + 30)
        yield {
            "delay": request.param,
            "scan": scan,
            "status": monitor.returncode,
            "out": out,
            "err": err,
            "recording": recording,
        }
    finally:
        subprocess.run([*TUTORIAL, "down", "--state-dir", str(state_dir)], timeout=60)


def findings_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("WARNING ", "ERROR "))]


def test_the_tool_names_the_culprit_or_stays_quiet(tutorial_run: dict) -> None:
    out = tutorial_run["out"]
    assert tutorial_run["status"] == 0, tutorial_run["err"]
    summary = out.rpartition("Summary")[2]
    if tutorial_run["delay"] == 0:
        assert tutorial_run["scan"].returncode == 0, tutorial_run["scan"].stdout
        assert findings_of(out) == []
        # no finding, and no all-clear for the keep-alive a short run cannot judge
        assert "\nno finding\n" in summary
        unjudged = [line for line in summary.splitlines() if line.startswith("not judged:")]
        assert unjudged == [
            "not judged: keep-alive at dserver/MyServer/top: needs 7.5 min of polls"
        ]
        return
    assert (
        "Timeout waiting for Mode.IDLE"
        in tutorial_run["scan"].stdout + tutorial_run["scan"].stderr
    )
    saturated = [f for f in findings_of(summary) if " saturated dserver/MyServer/top:" in f]
    assert saturated, summary
    # ~300 ms per position event while hw pushes one every ~100 ms
    match = re.search(
        r"position (\d+\.\d) ms per event x \d+, foo/bar/hw/position pushed every ~(\d+) ms",
        saturated[0],
    )
    assert match, saturated[0]
    assert 280 <= float(match[1]) <= 350 and 80 <= int(match[2]) <= 130
    backlog = [
        f for f in findings_of(out) if " backlog dserver/MyServer/top foo/bar/hw/position" in f
    ]
    assert backlog and "pushed by dserver/MyServer/hw not yet received" in backlog[0]
    assert any(" latency dserver/MyServer/top:" in f for f in findings_of(summary))


def test_replay_prints_what_the_live_run_printed(tutorial_run: dict) -> None:
    replay = subprocess.run(
        [*MONITOR, "--replay", str(tutorial_run["recording"])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (replay.returncode, replay.stderr) == (0, "")
    assert replay.stdout == tutorial_run["out"]
