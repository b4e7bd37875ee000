"""The `tango_event_check` fixture on the tutorial system: a backlog left behind fails."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

TUTORIAL = str(Path(sys.executable).parent / "ska-tango-event-monitor-tutorial")

INNER_TESTS = """
import time
import tango

def test_quiet_system_passes(tango_event_check):
    tango_event_check.watch("foo/bar/hw", "foo/bar/top")

def test_backlog_left_behind_fails(tango_event_check):
    tango_event_check.watch("foo/bar/hw", "foo/bar/top")
    tango_event_check.settle_s = 0.5
    tango.DeviceProxy("foo/bar/hw").Scan()  # 20 events at 20 Hz; the rogue takes 0.3 s each
    time.sleep(1.5)

def test_events_this_process_received_pass(tango_event_check):
    tango_event_check.watch("foo/bar/hw")
    hw = tango.DeviceProxy("foo/bar/hw")
    got = []
    sub = hw.subscribe_event("position", tango.EventType.CHANGE_EVENT, got.append)
    try:
        hw.Scan()
        time.sleep(1.5)
        assert len(got) >= 20
    finally:
        hw.unsubscribe_event(sub)
"""


@pytest.fixture
def tutorial_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    state = tmp_path / "state"
    up = subprocess.run(
        [TUTORIAL, "up", "--state-dir", str(state), "--scan-points", "20", "--event-rate", "20"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    try:
        assert up.returncode == 0, up.stderr
        monkeypatch.setenv("TANGO_HOST", re.search(r"export TANGO_HOST=(\S+)", up.stdout)[1])
        yield
    finally:
        subprocess.run([TUTORIAL, "down", "--state-dir", str(state)], timeout=60)


def test_the_fixture_fails_a_test_that_left_a_backlog(
    tutorial_system: None, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=120)

    # a failing teardown is an error on top of the passed test
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_backlog_left_behind_fails*",
            "*Tango event system problems:*",
            "*dserver/MyServer/top foo/bar/hw/position.idl5_change: * events pushed by "
            "dserver/MyServer/hw still not received*",
        ]
    )
