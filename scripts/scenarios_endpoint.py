"""Scenarios of subscriptions that get nothing (tests/data/scenarios.md tells what each holds).

`unreachable_endpoint`: the publisher binds to a host name that only it can resolve (its
own `/etc/hosts`, `ska_tango_event_monitor.local_tango.host_names`: a mount namespace, so
loopback stays shared and nothing is ever looked up with DNS). Its devices answer over
CORBA at 127.0.0.1, but it advertises its ZMQ endpoints as `tcp://NAME:PORT`, which the
subscriber and the monitor, without that name, cannot resolve: a container's case.
`server_down`: a subscription to a device whose server never ran, and a publisher killed
while its subscriber stays up, both monitored.
"""

from __future__ import annotations

import json
import time

from scenario_lab import (
    GHOST,
    PUB_ADMIN,
    ROOT,
    SINK,
    SINK_ADMIN,
    SOURCE,
    SOURCE_2,
    CaptureError,
    Lab,
    lab_devices,
    recorded,
    sink_callback,
)

from ska_tango_event_monitor.local_tango import DeviceRegistration
from ska_tango_event_monitor.local_tango.host_names import can_rename_hosts, with_host_names

PUBLISHER_HOST = "eventlab-pub.internal"  # resolves in the publisher's namespace only
INFO_REPLY = ROOT / "tests" / "data" / "endpoint_info_reply.json"


def unreachable_endpoint(lab: Lab) -> str:
    """The publisher answers and pushes at 5 Hz; its advertised endpoints do not resolve at
    the subscriber nor at the monitor (both without the name, DNS never asked)."""
    if not can_rename_hosts():
        raise CaptureError("needs root and unshare (a mount namespace with its own hosts)")
    lab.start_database(*lab_devices())
    workdir = lab.workdir

    def publisher(command: list[str]) -> list[str]:
        bound = [*command, "-ORBendPoint", f"giop:tcp:{PUBLISHER_HOST}:0"]
        return with_host_names(bound, {PUBLISHER_HOST: "127.0.0.1"}, workdir, "pub")

    def elsewhere(command: list[str]) -> list[str]:
        return with_host_names(command, {}, workdir, "elsewhere")

    lab.start_server("pub", [SOURCE, SOURCE_2], wrap=publisher)
    lab.start_server("sink", [SINK], wrap=elsewhere)
    lab.proxy(SOURCE).StartPushing(5.0)
    run = lab.monitor([SOURCE, SINK], period=1, count=8, wrap=elsewhere)
    run.finish()
    callback = sink_callback(lab)
    info = lab.proxy(PUB_ADMIN).command_inout("ZmqEventSubscriptionChange", ["info"])
    lines = [str(line) for line in info[1]]
    INFO_REPLY.write_text(json.dumps({"long": [int(v) for v in info[0]], "string": lines}) + "\n")
    if callback["server_counter"] or callback["event_count"]:
        raise CaptureError(f"the subscriber received events: {callback}")
    pushed = lab.proxy(SOURCE).read_attribute("value").value
    lab.proxy(SOURCE).StopPushing()
    probed = [e.get("endpoints") for e in recorded(run)[-1]["servers"] if e.get("endpoints")]
    return f"pushed {pushed}, sink received nothing; advertised {lines}; probed {probed}"


def server_down(lab: Lab) -> str:
    """A stateless subscription to lab/ghost/1, whose server never ran; then the publisher
    of lab/source/1 killed after 3 polls and left down. All three servers monitored."""
    lab.start_database(
        *lab_devices(sink_sources=(SOURCE, GHOST)),
        DeviceRegistration("EventLab/ghost", "EventSource", GHOST),
    )
    lab.start_server("pub", [SOURCE, SOURCE_2])
    lab.start_server("sink", [SINK])
    lab.proxy(SOURCE).StartPushing(5.0)
    lab.wait_until(lambda: lab.received() > 3, 10, "the sink to receive events")
    run = lab.monitor([SOURCE, SINK, GHOST], period=1, count=30)
    run.wait_polls(3)
    lab.servers["pub"].kill()
    killed = time.monotonic()
    run.finish()
    down = time.monotonic() - killed
    reply = lab.query(SINK_ADMIN)["client"]
    return (
        f"publisher down for the last {down:.1f} s; not connected: "
        f"{[e['device'] for e in reply['not_connected']]}; "
        f"subscriptions: {sorted(reply['event_callbacks'])}"
    )


ENDPOINT_SCENARIOS = {"unreachable_endpoint": unreachable_endpoint, "server_down": server_down}
