"""FixedRogueDevice (callback hands its work to a thread): the scan succeeds, and the
forwarded position still arrives; the tutorial's RogueDevice makes the same scan time out."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import tango

from helpers import wait_until

pytestmark = pytest.mark.integration

TUTORIAL = str(Path(sys.executable).parent / "ska-tango-event-monitor-tutorial")
POINTS = 40  # 4 s of events at 10 Hz; the 0.3 s callback needs 12 s for them


@pytest.fixture(params=[True, False], ids=["fixed", "rogue"])
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[bool, Path, str]]:
    state = tmp_path / "state"
    fixed = ["--fixed-rogue"] if request.param else []
    up = subprocess.run(
        [TUTORIAL, "up", "--state-dir", str(state), "--scan-points", str(POINTS)]
        + ["--scan-timeout", "8", *fixed],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        assert up.returncode == 0, up.stderr
        yield request.param, state, re.search(r"export TANGO_HOST=(\S+)", up.stdout)[1]
    finally:
        subprocess.run([TUTORIAL, "down", "--state-dir", str(state)], timeout=60)


def test_scan_and_forwarding(system: tuple[bool, Path, str]) -> None:
    fixed, state, tango_host = system
    scan = subprocess.run(
        [TUTORIAL, "scan", "--state-dir", str(state)], capture_output=True, text=True, timeout=60
    )
    rogue = tango.DeviceProxy(f"tango://{tango_host}/foo/bar/rogue")
    if not fixed:
        assert (
            scan.returncode == 1 and "Timeout waiting for Mode.IDLE" in scan.stderr + scan.stdout
        )
        return
    assert scan.returncode == 0, scan.stdout + scan.stderr
    # the last position reaches the forwarding device soon after the scan
    wait_until(
        lambda: rogue.read_attribute("position").value == float(POINTS),
        timeout=5,
        what="the last position forwarded",
    )
