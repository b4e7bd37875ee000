"""`--top`'s keys and screen: key decoding, what each key does, the screen's layout, and
the full screen driven through a real pseudo-terminal (keys in, frames out).

The reports are replayed from recordings of real servers (tests/data); no Tango here. The
tmux test (test_top_terminal.py) runs the whole command on real servers.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import re
import struct
import termios
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pytest
from rich.console import Console

from conftest import DATA
from helpers import wait_until
from ska_tango_event_monitor.cli.main import Environment, main
from ska_tango_event_monitor.core.findings import Analyser
from ska_tango_event_monitor.core.session import MonitorSession, SnapshotReport
from ska_tango_event_monitor.outputs.top.controls import Action, ViewState, press
from ska_tango_event_monitor.outputs.top.keys import decode
from ska_tango_event_monitor.outputs.top.render import HEADER_LINES, Frame, frame
from ska_tango_event_monitor.outputs.top.screen import QuitRequested, TopScreen
from ska_tango_event_monitor.outputs.top.table import ORDERS
from ska_tango_event_monitor.recording import read_recording


def reports(name: str) -> list[SnapshotReport]:
    session = MonitorSession(Analyser())
    return [session.update(snapshot) for snapshot in read_recording(DATA / name)]


# -- keys ---------------------------------------------------------------------------------------


def test_keys_are_decoded_from_what_the_terminal_sends() -> None:
    assert decode("q") == ["q"]
    assert decode(" s/\r\x7f") == [" ", "s", "/", "enter", "backspace"]
    assert decode("\x1b[C\x1b[D\x1bOA\x1b[B") == ["right", "left", "up", "down"]
    assert decode("\x1b") == ["escape"]
    assert decode("\x1b[1;5Cq") == ["q"]  # an unknown sequence is dropped whole
    assert decode("\x1b[15~p") == ["p"]  # F5, then p


def test_q_quits_s_cycles_the_sort_p_pauses() -> None:
    state = ViewState()
    assert press(state, "q") == (state, Action.QUIT)
    orders = []
    for _ in ORDERS:
        state, action = press(state, "s")
        orders.append(state.sort.name)
        assert action is Action.REDRAW
    assert orders[-1] == ORDERS[0].name and len(set(orders)) == len(ORDERS)
    state, _ = press(state, "p")
    assert state.paused
    assert press(state, "p")[0].paused is False
    assert press(ViewState(), " ") == (ViewState(), Action.NONE)  # live: no stepping


def test_slash_types_a_filter_that_enter_keeps_and_escape_drops() -> None:
    state, _ = press(ViewState(), "/")
    for key in "hw/pos":
        state, action = press(state, key)
    assert (state.typing, state.filter, action) == ("hw/pos", "hw/pos", Action.REDRAW)
    state, _ = press(state, "backspace")
    assert state.filter == "hw/po"
    state, _ = press(state, "q")  # typed, not quitting
    assert state.filter == "hw/poq"
    kept, _ = press(state, "enter")
    assert (kept.filter, kept.typing) == ("hw/poq", None)
    assert press(kept, "escape")[0].filter == ""
    assert press(state, "escape")[0] == ViewState()


def test_in_a_replay_space_and_arrows_step() -> None:
    state = ViewState()
    for key in (" ", "right", "down"):
        assert press(state, key, replay=True)[1] is Action.NEXT
    for key in ("left", "up", "backspace"):
        assert press(state, key, replay=True)[1] is Action.PREVIOUS
    assert press(state, "q", replay=True)[1] is Action.QUIT


# -- the layout ---------------------------------------------------------------------------------


def drawn(shown: Frame, width: int, height: int) -> list[str]:
    console = Console(width=width, height=height, color_system=None, file=io.StringIO())
    with console.capture() as capture:
        console.print(frame(shown, width, height))
    return capture.get().splitlines()


def test_the_screen_fits_its_height_with_a_more_line() -> None:
    ring = reports("scenario_ring50_slow_node.jsonl.gz")
    lines = drawn(Frame(ring[-1], ring[-2], ViewState()), 120, 12)
    assert len(lines) == 12
    assert lines[0].startswith("2026-12-01 08:57:57  servers: 50 answering, 0 not answering")
    assert lines[1].startswith("worst finding: WARNING backlog RingNode/17 ring/sensor/18/")
    assert lines[HEADER_LINES].split()[:2] == ["SEVERITY", "STREAM"]
    first = lines[HEADER_LINES + 1]
    assert first.startswith("WARNING") and re.search(r"Ring\S*/18 -> Ring\S*/17", first)
    assert lines[-1].startswith("… 143 more")  # 150 rows, 7 shown
    assert all(len(line) <= 120 for line in lines)


@pytest.mark.parametrize(("width", "height"), [(20, 3), (1, 1), (8, 0), (300, 2)])
def test_a_tiny_screen_is_drawn_without_error(width: int, height: int) -> None:
    ring = reports("scenario_ring50_slow_node.jsonl.gz")
    lines = drawn(Frame(ring[-1], ring[-2], ViewState()), width, height)
    assert lines and all(len(line) <= width for line in lines)


def test_rows_are_coloured_by_severity() -> None:
    keepalive = reports("scenario_keepalive.jsonl")
    console = Console(width=160, height=10, color_system="standard", force_terminal=True)
    with console.capture() as capture:
        console.print(frame(Frame(keepalive[-1], keepalive[-2], ViewState()), 160, 10))
    error_row = next(line for line in capture.get().splitlines() if "EventLab/stuck" in line)
    assert "\x1b[1;31m" in error_row  # bold red
    healthy = next(line for line in capture.get().splitlines() if "EventLab/sink " in line)
    assert "\x1b[1;31m" not in healthy and "\x1b[33m" not in healthy


def test_a_wide_screen_shows_each_streams_lag_and_verdict_the_worst_verdict_first() -> None:
    """The tutorial's scan (tests/data/scenario_scan_and_drain.truth.json): the mode event
    queued behind the position events, STALLED with 1 event waiting, above the position
    stream FALLING BEHIND with dozens; each row's LAG and VERDICT the report's health."""
    found = reports("scenario_scan_and_drain.jsonl")
    report = found[15]
    lines = drawn(Frame(report, found[14], ViewState()), 200, 10)
    titles = lines[HEADER_LINES].split()
    assert "LAG" in titles and "VERDICT" in titles
    health = {h.label: h for h in report.health}
    rows = lines[HEADER_LINES + 1 : HEADER_LINES + 3]
    streams = ["foo/bar/hw/mode.change", "foo/bar/hw/position.change"]
    for line, stream in zip(rows, streams, strict=True):
        judged = health[stream]
        assert stream in line
        assert f"  {judged.lag_s:.1f} s  " in line and f"  {judged.verdict}  " in line
    assert "STALLED" in rows[0] and "FALLING BEHIND" in rows[1]


def test_the_filter_and_the_sort_show_in_the_status_line() -> None:
    ring = reports("scenario_ring50_slow_node.jsonl.gz")
    view = ViewState(order=1, filter="sensor/03")
    lines = drawn(Frame(ring[-1], ring[-2], view, message="warning: x"), 140, 20)
    assert lines[2].startswith("sort: backlog  filter: sensor/03 (Esc clears)")
    rows = lines[HEADER_LINES + 1 : -1]
    assert len(rows) == 3 and all("ring/sensor/03/" in line for line in rows)
    assert lines[-1] == "warning: x"  # the last warning held while the screen is full


# -- the full screen on a pseudo-terminal -------------------------------------------------------


@dataclass
class Terminal:
    """A pseudo-terminal of 100x20: the screen's stdin and stdout, our keyboard and eyes."""

    master: int
    stdin: TextIO
    stdout: TextIO
    output: bytearray

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def shows(self, text: str) -> bool:
        return text in self.output.decode(errors="replace")

    def positions(self) -> list[str]:
        return re.findall(r"snapshot \d+ of \d+", self.output.decode(errors="replace"))


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    with open_terminal(20, 100) as opened:
        yield opened


@contextlib.contextmanager
def open_terminal(lines: int, columns: int) -> Iterator[Terminal]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    output = bytearray()

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end was closed
                return
            if not data:
                return
            output.extend(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    with open(slave, encoding="utf-8") as stdin, open(os.dup(slave), "w") as stdout:
        yield Terminal(master, stdin, stdout, output)
    os.close(master)
    reader.join(timeout=5)


def test_a_replay_is_stepped_through_with_the_keys(terminal: Terminal) -> None:
    keepalive = reports("scenario_keepalive.jsonl")
    before = termios.tcgetattr(terminal.stdin.fileno())
    stderr = io.StringIO()
    done = threading.Event()

    def browse() -> None:
        with TopScreen(terminal.stdout, terminal.stdin, stderr, replay=True) as screen:
            screen.browse(keepalive)
        done.set()

    viewer = threading.Thread(target=browse, daemon=True)
    viewer.start()
    wait_until(lambda: terminal.shows("snapshot 1 of 30"), what="the first snapshot")
    for keys, position in [(b" ", 2), (b"\x1b[C", 3), (b"\x1b[D", 2), (b"\x1b[D\x1b[D", 1)]:
        terminal.type(keys)
        wait_until(lambda p=position: terminal.positions()[-1] == f"snapshot {p} of 30")
    terminal.type(b"q")
    viewer.join(timeout=10)
    assert done.is_set()
    assert termios.tcgetattr(terminal.stdin.fileno()) == before  # the terminal as it was
    wait_until(lambda: terminal.shows("\x1b[?1049l"), what="the alternate screen left")


def rows_after(terminal: Terminal, position: str) -> list[str]:
    """The table rows drawn since `position` last showed in the status line, as text."""
    screen = terminal.output.decode(errors="replace")
    if position not in screen:
        return []
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen[screen.rindex(position) :])
    return [line for line in plain.splitlines() if "EventLab/pub -> " in line]


def test_replay_top_shows_the_blocked_subscriber_stalled_above_its_twin() -> None:
    """`--replay FILE --top` on a terminal wide enough for every column: stepped to the last
    snapshot of tests/data/scenario_blocked_forever.jsonl, EventLab/blocked's rows read
    STALLED with their lag and come first; its twin EventLab/sink's read OK, 0.0 s."""
    last = reports("scenario_blocked_forever.jsonl")[-1]
    stalled = sorted(h.lag_s or 0.0 for h in last.health if h.subscriber.endswith("blocked"))
    stderr = io.StringIO()
    with open_terminal(20, 200) as wide:
        environment = Environment(stdout=wide.stdout, stderr=stderr, stdin=wide.stdin)
        path = str(DATA / "scenario_blocked_forever.jsonl")
        status: list[int] = []
        command = threading.Thread(
            target=lambda: status.append(main(["--replay", path, "--top"], environment)),
            daemon=True,
        )
        command.start()
        wait_until(lambda: wide.shows("snapshot 1 of 10"), what="the first snapshot")
        wide.type(b" " * 9)
        wait_until(lambda: len(rows_after(wide, "snapshot 10 of 10")) >= 4, what="the last one")
        rows = rows_after(wide, "snapshot 10 of 10")[:4]
        wide.type(b"q")
        command.join(timeout=10)
        assert status == [0], stderr.getvalue()
    assert [("Lab/blocked" in row, "STALLED" in row) for row in rows[:2]] == [(True, True)] * 2
    assert {f"{lag:.1f} s" for lag in stalled} == {
        re.search(r"(\d+\.\d s)\s+\d+\s", row).group(1) for row in rows[:2]
    }
    assert all("Lab/sink" in row and "  0.0 s  " in row and " OK " in row for row in rows[2:4])


def test_q_between_polls_quits_and_p_holds_the_screen(terminal: Terminal) -> None:
    keepalive = reports("scenario_keepalive.jsonl")
    stderr = io.StringIO()
    with TopScreen(terminal.stdout, terminal.stdin, stderr) as screen:
        screen.show(keepalive[1])
        wait_until(lambda: terminal.shows("09:01:10"), what="the second poll")
        terminal.type(b"p")
        screen.wait(0.5)
        screen.show(keepalive[2])  # paused: polled, not shown
        screen.messages.write("warning: a poll took long\n")
        screen.wait(0.5)
        wait_until(lambda: terminal.shows("warning: a poll took long"), what="the warning")
        assert terminal.shows("PAUSED") and not terminal.shows("09:01:20")
        terminal.type(b"p")
        screen.wait(0.5)
        wait_until(lambda: terminal.shows("09:01:20"), what="the latest poll, once resumed")
        terminal.type(b"q")
        with pytest.raises(QuitRequested):
            screen.wait(10)
        assert isinstance(QuitRequested(), KeyboardInterrupt)  # the clean-up of Ctrl-C
    assert stderr.getvalue() == "warning: a poll took long\n"  # written once the screen left


def test_without_a_terminal_on_stdin_the_screen_waits_without_keys(tmp_path: Path) -> None:
    keepalive = reports("scenario_keepalive.jsonl")
    out = io.StringIO()
    with open(os.devnull) as stdin, TopScreen(out, stdin, io.StringIO()) as screen:
        screen.show(keepalive[0])
        screen.wait(0.2)  # returns: no key to read, nothing raised
