"""`--top` in a real terminal: tmux runs the command against real EventLab servers in a
detached session of a fixed size, `capture-pane` reads the screen, `send-keys` types.

The sink's callback is made slow (0.5 s) while lab/source/1 pushes 10 events a second, so
its stream falls behind; lab/source/2 pushes nothing. Skipped without tmux, unless
REQUIRE_TMUX=1 (as in CI, which installs it).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tango

from conftest import EventLab
from helpers import wait_until

pytestmark = pytest.mark.integration

WIDTH, HEIGHT = 140, 30
ADMINS = ("dserver/EventLab/pub", "dserver/EventLab/sink")
SLOW = "lab/source/1/value.change"


@dataclass
class Tmux:
    """One tmux server of our own (its own socket), one session, one pane."""

    socket: Path

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def screen(self) -> list[str]:
        return self("capture-pane", "-p", "-t", "top").splitlines()

    def wait_for(self, shows: Callable[[list[str]], object], what: str) -> list[str]:
        """The screen once it `shows` what is awaited; the last one seen if it never does."""
        seen: list[list[str]] = [[]]

        def looks() -> bool:
            seen[0] = self.screen()
            return bool(shows(seen[0]))

        try:
            wait_until(looks, timeout=60, what=what)
        except AssertionError as error:
            raise AssertionError(f"{error}; the screen:\n" + "\n".join(seen[0])) from None
        return seen[0]

    def pane(self, field: str) -> str:
        return self("display-message", "-p", "-t", "top", f"#{{{field}}}").strip()


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        if os.environ.get("REQUIRE_TMUX") == "1":
            pytest.fail("REQUIRE_TMUX=1 but tmux is not installed")
        pytest.skip("tmux is not installed (apt-get install tmux); with REQUIRE_TMUX=1 a failure")
    tmux = Tmux(tmp_path / "tmux.sock")
    yield tmux
    if not tmux.socket.exists():
        return
    try:
        server = int(tmux("display-message", "-p", "#{pid}"))
    except subprocess.CalledProcessError:  # no session left: the server is going
        server = None
    # our own server (its own socket), and what runs in its pane
    subprocess.run(["tmux", "-S", str(tmux.socket), "kill-server"], check=False, timeout=10)
    if server is not None:
        wait_until(lambda: not _alive(server), what="the tmux server to stop")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start(tmux: Tmux, lab: EventLab | None, tmp_path: Path, *args: str) -> None:
    """`--top ARGS` in a new detached session of WIDTH x HEIGHT."""
    config = tmp_path / "tmux.conf"
    # the pane stays after the command ends, to be read; no status line
    config.write_text("set -g remain-on-exit on\nset -g status off\n")
    size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
    environment = [] if lab is None else ["-e", f"TANGO_HOST={lab.tango_host}"]
    monitor = [sys.executable, "-m", "ska_tango_event_monitor", "--top", *args]
    status = tmp_path / "status"  # written once the monitor has exited
    command = f"{shlex.join(monitor)}; echo $? > {shlex.quote(str(status))}"
    tmux("-f", str(config), "new-session", "-d", "-s", "top", *size, *environment, command)


def first_row(screen: list[str]) -> str:
    """The row under the column titles ("" before the first poll is drawn)."""
    titles = next((n for n, line in enumerate(screen) if line.startswith("SEVERITY")), None)
    return screen[titles + 1] if titles is not None and titles + 1 < len(screen) else ""


def perf(admin: str) -> tuple[object, object]:
    reply = json.loads(tango.DeviceProxy(admin).command_inout("QueryEventSystem"))
    return (reply["server"] or {}).get("perf"), (reply["client"] or {}).get("perf")


@pytest.mark.timeout(180)
def test_top_shows_the_stream_falling_behind_first_and_q_leaves_cleanly(
    event_lab: EventLab, tmux: Tmux, tmp_path: Path
) -> None:
    tango.DeviceProxy("lab/sink/1").SetDelay(0.5)
    tango.DeviceProxy("lab/source/1").StartPushing(10)
    try:
        args = ["--monitor", "--polling-period", "1", "lab/source/1", "lab/sink/1"]
        start(tmux, event_lab, tmp_path, *args)
        screen = tmux.wait_for(
            lambda screen: SLOW in first_row(screen) and "backlog" in first_row(screen),
            "the slow stream first, with a backlog finding",
        )
        assert len(screen) <= HEIGHT and all(len(line) <= WIDTH for line in screen)
        assert screen[0].split("  ")[1] == "servers: 2 answering, 0 not answering"
        row = first_row(screen)
        assert row.startswith(("WARNING", "ERROR")) and "EventLab/pub -> EventLab/sink" in row
        assert int(row.split()[7]) >= 5  # BACKLOG, after the pushed and processed rates
        assert perf(ADMINS[1])[1] is not None  # --monitor switched it on

        tmux("resize-window", "-t", "top", "-x", "20", "-y", "4")  # tiny: no traceback
        tmux.wait_for(lambda screen: len(screen) <= 4 and screen[0], "the tiny screen")
        tmux("resize-window", "-t", "top", "-x", str(WIDTH), "-y", str(HEIGHT))
        tmux.wait_for(lambda screen: SLOW in first_row(screen), "the screen redrawn")
        # wide enough for LAG and VERDICT: the slow stream behind by seconds, judged
        tmux("resize-window", "-t", "top", "-x", "200", "-y", str(HEIGHT))
        screen = tmux.wait_for(
            lambda screen: SLOW in first_row(screen) and "FALLING BEHIND" in first_row(screen),
            "the slow stream FALLING BEHIND",
        )
        lag = re.search(r"\s(≥?)(\d+\.\d) s\s+\d+\s", first_row(screen))  # LAG, then MISSED
        assert lag and float(lag.group(2)) > 0, first_row(screen)
        assert not (tmp_path / "status").exists()  # still running

        tmux("send-keys", "-t", "top", "q")
        wait_until(lambda: (tmp_path / "status").exists(), timeout=30, what="q to quit")
    finally:
        tango.DeviceProxy("lab/source/1").StopPushing()
    assert (tmp_path / "status").read_text().strip() == "0"  # the exit status
    after = "\n".join(tmux.screen())
    assert "Traceback" not in after
    assert "Summary" in after and f"WARNING backlog dserver/EventLab/sink {SLOW}" in after
    for admin in ADMINS:
        assert perf(admin) == (None, None), f"perf monitoring still on at {admin}"


@pytest.mark.timeout(120)
def test_a_recording_is_stepped_through_and_filtered(tmux: Tmux, tmp_path: Path) -> None:
    recording = Path(__file__).parent / "data" / "scenario_keepalive.jsonl"
    start(tmux, None, tmp_path, "--replay", str(recording))
    tmux.wait_for(lambda screen: "snapshot 1 of 30" in "\n".join(screen), "the first snapshot")
    tmux("send-keys", "-t", "top", "Space", "Right", "Right", "Left")
    screen = tmux.wait_for(lambda screen: "snapshot 3 of 30" in "\n".join(screen), "stepping")
    assert screen[0].startswith("2026-12-01 09:01:20")  # the third poll, 10 s apart
    tmux("send-keys", "-t", "top", "/", "stuck", "Enter")
    screen = tmux.wait_for(lambda s: "filter: stuck" in "\n".join(s), "the filter")
    rows = screen[screen.index(next(line for line in screen if line.startswith("SEVERITY"))) + 1 :]
    assert [line.split()[1] for line in rows if line.strip()] == ["lab/source/1/value.change"]
    assert "EventLab/stuck" in rows[0]
    tmux("send-keys", "-t", "top", "q")
    wait_until(lambda: (tmp_path / "status").exists(), what="q to quit")
    assert (tmp_path / "status").read_text().strip() == "0"
    after = "\n".join(tmux.screen())
    assert "- Findings in 30 snapshot(s)" in after  # the summary of the whole recording
