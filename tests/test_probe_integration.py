"""The endpoint probe on real servers (loopback only): a publisher's advertised endpoints
tried from here, and the live monitor naming an unreachable event endpoint with what the probe
found. The publisher that advertises a name only it resolves runs in a mount namespace of its
own (`local_tango.host_names`, root and unshare needed); no name is ever asked of DNS."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tango

from conftest import SERVERS
from helpers import wait_until
from ska_tango_event_monitor.local_tango import DeviceServerProcess
from ska_tango_event_monitor.local_tango.host_names import can_rename_hosts, with_host_names
from ska_tango_event_monitor.tango.probe import EndpointProbe

pytestmark = pytest.mark.integration
HIDDEN = "eventlab-pub.internal"  # resolves in the publisher's namespace only


def _probed(probe: EndpointProbe, admin: str) -> list:
    wait_until(
        lambda: (c := probe.checks(admin)) is not None and all(x.resolves is not None for x in c),
        15,
        f"the endpoints of {admin} probed",
    )
    return list(probe.checks(admin) or ())


def test_the_endpoints_of_a_loopback_publisher_accept_connections(event_lab) -> None:
    admin = f"tango://{event_lab.tango_host}/dserver/EventLab/pub"
    tango.DeviceProxy("lab/source/1").Push(2)
    probe = EndpointProbe()
    try:
        checks = _probed(probe, admin)
        assert {c.role for c in checks} >= {"heartbeat", "event"}
        for check in checks:
            assert check.endpoint.startswith("tcp://127.0.0.1:")
            assert (check.resolves, check.accepts, check.detail) == (True, True, "127.0.0.1")
        event_lab.publisher.stop()  # the results are cached: asked again, the same
        assert probe.checks(admin) is not None
        assert [c.accepts for c in probe.checks(admin) or ()] == [True] * len(checks)
        # tried again, nothing listens there any more
        assert {probe.probe(c).accepts for c in checks} == {False}
    finally:
        probe.close()


@dataclass
class HiddenPublisher:
    tango_host: str
    workdir: Path

    def elsewhere(self, command: list[str]) -> list[str]:
        return with_host_names(command, {}, self.workdir, "elsewhere")


@pytest.fixture
def hidden_publisher(lab_database, tmp_path: Path) -> Iterator[HiddenPublisher]:
    """EventLab/pub bound to a name only it resolves; EventLab/sink, where it does not."""
    if not can_rename_hosts():
        pytest.skip("needs root and unshare (a mount namespace with its own /etc/hosts)")
    lab = HiddenPublisher(lab_database.tango_host, tmp_path)
    pub = [sys.executable, str(SERVERS / "event_lab.py"), "pub"]
    pub += ["-ORBendPoint", f"giop:tcp:{HIDDEN}:0"]
    sink = [sys.executable, str(SERVERS / "event_lab.py"), "sink"]
    processes = [
        DeviceServerProcess(
            with_host_names(pub, {HIDDEN: "127.0.0.1"}, tmp_path, "pub"),
            lab.tango_host,
            tmp_path / "pub.log",
        ),
        DeviceServerProcess(lab.elsewhere(sink), lab.tango_host, tmp_path / "sink.log"),
    ]
    try:
        processes[0].start().wait_ready(["lab/source/1", "lab/source/2"], timeout=30)
        processes[1].start().wait_ready(["lab/sink/1"], timeout=30)
        tango.DeviceProxy("lab/source/1").StartPushing(5.0)
        yield lab
    finally:
        for process in reversed(processes):
            process.stop()


def _monitor(lab: HiddenPublisher, *options: str) -> str:
    """The monitor CLI where the publisher's name does not resolve (as the subscriber)."""
    command = [sys.executable, "-m", "ska_tango_event_monitor", "--polling-period", "1"]
    command = lab.elsewhere([*command, "--count", "4", *options, "lab/source/1", "lab/sink/1"])
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "TANGO_HOST": lab.tango_host},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_live_monitor_names_the_unreachable_endpoint_and_what_the_probe_found(
    hidden_publisher: HiddenPublisher,
) -> None:
    out = _monitor(hidden_publisher)
    found = [line for line in out.splitlines() if line.startswith("ERROR unreachable endpoint")]
    assert found, out
    last = found[-1]
    assert "dserver/EventLab/sink lab/source/1/value.change" in last
    assert "its publisher dserver/EventLab/pub pushed" in last
    assert f"heartbeat tcp://{HIDDEN}:" in last
    assert "(does not resolve here: Name or service not known)" in last
    assert "the publisher is unreachable" not in out

    no_probe = _monitor(hidden_publisher, "--no-probe")
    found = [x for x in no_probe.splitlines() if x.startswith("ERROR unreachable endpoint")]
    assert found and all("advertises" not in x for x in found), no_probe
