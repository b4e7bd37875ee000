"""The tutorial system given only its subscriber, foo/bar/top: the monitor follows it to
the hardware's server and finds the backlog of the position stream during a scan."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import tango

from test_tutorial_findings import MONITOR, TUTORIAL, findings_of, run_scan, start_system

pytestmark = pytest.mark.integration

FOLLOWED = "dserver/myserver/hw (followed from dserver/MyServer/top)"


def test_given_only_foo_bar_top_the_scan_backlog_is_found(tmp_path: Path) -> None:
    state_dir, recording = tmp_path / "state", tmp_path / "top.jsonl"
    env = start_system(state_dir, 0.3)
    try:
        monitor = subprocess.Popen(
            [*MONITOR, "--monitor", "--polling-period", "2", "--count", "6"]
            + ["-o", str(recording), "foo/bar/top"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        scan = run_scan(state_dir, env)
        out, err = monitor.communicate(timeout=60)
        hw_admin = f"tango://{env['TANGO_HOST']}/dserver/MyServer/hw"
        hw = json.loads(tango.DeviceProxy(hw_admin).command_inout("QueryEventSystem"))
    finally:
        subprocess.run([*TUTORIAL, "down", "--state-dir", str(state_dir)], timeout=60)

    assert monitor.returncode == 0, err
    assert "Timeout waiting for Mode.IDLE" in scan.stdout + scan.stderr
    headers = [line.strip("-") for line in out.splitlines() if line.startswith("-" * 10)]
    assert headers.count(FOLLOWED) == 5  # from the second poll on
    backlog = [
        f for f in findings_of(out) if " backlog dserver/MyServer/top foo/bar/hw/position" in f
    ]
    assert backlog and "pushed by dserver/myserver/hw not yet received" in backlog[0]
    assert re.search(r"foo/bar/hw/position\.change: [\d.]+ events/s pushed", out)
    # perf monitoring, switched on at the followed server too, is off again
    sections = [snapshot.split(FOLLOWED)[-1] for snapshot in out.split("\n\n\n")[1:6]]
    assert any("- Server performance" in section for section in sections)
    assert hw["server"]["perf"] is None
    replay = subprocess.run(
        [*MONITOR, "--replay", str(recording)], capture_output=True, text=True, timeout=60
    )
    assert replay.stdout == out
