"""`--graph FILE` in a live run on real device servers (sqlite database, loopback)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tango

from conftest import EventLab
from helpers import run_cli, wait_until

pytestmark = pytest.mark.integration


def test_the_graph_of_a_live_run(event_lab: EventLab, tmp_path: Path) -> None:
    """Both servers monitored: one arrow from the publisher to the sink carrying the two
    streams it receives, with their rates from the last two polls and nothing behind."""
    sink = tango.DeviceProxy("lab/sink/1")
    tango.DeviceProxy("lab/source/1").Push(4)
    wait_until(lambda: sink.read_attribute("received").value >= 4, what="4 events received")
    path = tmp_path / "lab.dot"
    status, _, err = run_cli(
        "--count", "2", "--polling-period", "0.5", "--graph", str(path),
        "lab/source/1", "lab/sink/1",
    )  # fmt: skip
    assert (status, err) == (0, "")
    text = path.read_text()
    assert '"dserver/EventLab/pub" [label="EventLab/pub"' in text
    (edge,) = re.findall(r'^  "dserver/EventLab/pub" -> "dserver/EventLab/sink" .*$', text, re.M)
    for source in ("lab/source/1", "lab/source/2"):  # the sink subscribes to both
        # the lag of a stream caught up is 0 (once the publisher was polled twice)
        label = rf"{source}/value\.change: 0\.0 of 0\.0 ev/s(, lag 0\.0 s)? — not judged"
        assert re.search(label, edge)
    assert "behind" not in edge  # all received


def test_a_publisher_not_monitored_is_named_by_the_live_channel(
    event_lab: EventLab, tmp_path: Path
) -> None:
    """The sink alone: its publisher is a dashed node, named as its channel names it."""
    path = tmp_path / "lab.mmd"
    status, _, err = run_cli("--count", "1", "--graph", str(path), "lab/sink/1")
    assert (status, err) == (0, "")
    lines = path.read_text().splitlines()
    assert '  n0["EventLab/sink"]' in lines
    assert '  n1["eventlab/pub<br>not monitored"]:::notMonitored' in lines
    links = [line for line in lines if line.startswith("  n1 -->")]
    assert len(links) == 1 and links[0].endswith("| n0")
    assert "lab/source/1/value.change: not judged" in links[0]
