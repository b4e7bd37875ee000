"""The event graph of one snapshot: device servers (nodes) and the event streams between them
(edges, publisher -> subscriber), for `--graph FILE` and the HTML report's picture.

Pure, read from a `SnapshotReport` only. One edge per stream and subscriber: a subscription
joined to its publisher by the report's backlogs (both servers monitored), else to the
monitored server publishing that stream, else to the admin device its channel names (a
"not monitored" node). A subscription not connected names a device only (cppTango has no
channel for it yet): its edge starts at the monitored publisher of that stream or, when there
is none, at a node for that device.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ska_tango_event_monitor.core.findings import Finding, Severity
from ska_tango_event_monitor.core.health import StreamHealth
from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.rate_index import StreamRates
from ska_tango_event_monitor.core.session import ServerReport, SnapshotReport
from ska_tango_event_monitor.core.streams import stream_key


@dataclass(frozen=True)
class ServerNode:
    """A device server, known by its admin device."""

    id: str  # the admin device as the report names it, or as a channel names it
    name: str  # `MyServer/hw`: the server as `Executable/instance`
    monitored: bool = True  # False: seen only as the publisher of a subscription
    error: str | None = None  # monitored, but no reply at this snapshot
    device_only: bool = False  # the device of a subscription not connected: server unknown


@dataclass(frozen=True)
class StreamEdge:
    """One event stream as one subscriber receives it. None: not known at this snapshot."""

    publisher: str  # node id
    subscriber: str  # node id (a monitored admin device)
    stream: str  # `foo/bar/hw/position.change`, the same for both sides
    pushed_per_s: float | None = None
    processed_per_s: float | None = None
    backlog: int | None = None  # events pushed, not yet received
    connected: bool = True  # False: in the subscriber's not_connected
    verdict: str | None = None  # OK, FALLING BEHIND, STALLED, STOPPED, RESET; None: not judged
    lag_s: float | None = None  # how far behind, in seconds
    severity: Severity | None = None  # the worst finding naming this subscriber and stream
    findings: tuple[str, ...] = ()  # their kinds, the worst first


@dataclass(frozen=True)
class EventGraph:
    time: datetime | None  # of the snapshot (None: no snapshot)
    nodes: tuple[ServerNode, ...]  # monitored servers in the report's order, then the others
    edges: tuple[StreamEdge, ...]  # sorted by publisher, subscriber, stream

    def node(self, node_id: str) -> ServerNode:
        return next(node for node in self.nodes if node.id == node_id)


def edge_health(report: SnapshotReport, edge: StreamEdge) -> tuple[str | None, float | None]:
    """The verdict on a stream and its lag in seconds, from the report's stream health
    (`core/health`); (None, None) while not judged or not joined to its publisher."""
    health = _health_by_stream(report).get((edge.subscriber.lower(), stream_key(edge.stream)))
    if health is None:
        return None, None
    return None if health.verdict is None else str(health.verdict), health.lag_s


# the report indexed last and its health by (subscriber, stream): edge_health is asked once
# per edge, and a facility's graph has thousands of them
_indexed: tuple[SnapshotReport | None, dict[tuple[str, str], StreamHealth]] = (None, {})


def _health_by_stream(report: SnapshotReport) -> dict[tuple[str, str], StreamHealth]:
    global _indexed
    if _indexed[0] is not report:
        index = {(h.subscriber.lower(), stream_key(h.stream)): h for h in report.health}
        _indexed = (report, index)
    return _indexed[1]


def event_graph(report: SnapshotReport) -> EventGraph:
    nodes = {server.admin: _monitored_node(server) for server in report.servers}
    channels = _Channels(report.servers)
    rates = StreamRates(report)
    edges = [
        *_joined(report, rates),
        *_unjoined(report, rates, channels, nodes),
    ]
    edges = [_judged(report, edge) for edge in edges]
    edges = _with_findings(edges, report.findings or ())
    edges.sort(key=lambda e: (e.publisher.lower(), e.subscriber.lower(), e.stream))
    return EventGraph(report.time, tuple(nodes.values()), tuple(edges))


def server_name(admin: str) -> str:
    """`MyServer/hw` of `tango://h:1/dserver/MyServer/hw`."""
    name = short_name(admin)
    return name[len("dserver/") :] if name.lower().startswith("dserver/") else name


def _monitored_node(server: ServerReport) -> ServerNode:
    return ServerNode(server.admin, server_name(server.admin), error=server.error)


def _joined(report: SnapshotReport, rates: StreamRates) -> Iterator[StreamEdge]:
    for flow in report.backlogs:
        yield StreamEdge(
            flow.publisher,
            flow.subscriber,
            stream_key(flow.topic),
            rates.pushed(flow.publisher, flow.stream),
            rates.processed(flow.subscriber, flow.topic),
            flow.events,
        )


def _unjoined(
    report: SnapshotReport, rates: StreamRates, channels: _Channels, nodes: dict[str, ServerNode]
) -> Iterator[StreamEdge]:
    """Subscriptions the backlogs leave out (publisher not monitored, nothing received
    yet, the analysis off) and those not connected; `nodes` gains their publishers."""
    joined = {(flow.subscriber, flow.topic) for flow in report.backlogs}
    publishers = _publishers(report.states)
    for admin, state in report.states.items():
        for topic, subscription in state.subscriptions.items():
            if (admin, topic) in joined:
                continue
            key = stream_key(topic)
            publisher, stream = publishers.get(key, (None, ""))
            if publisher is None:
                publisher = channels.node(subscription.channel_name, nodes)
            backlog = _backlog(report.states, publisher, stream, subscription.server_counter)
            pushed = None if not stream else rates.pushed(publisher, stream)
            processed = rates.processed(admin, topic)
            yield StreamEdge(publisher, admin, key, pushed, processed, backlog)
        for entry in state.not_connected:
            device = short_name(entry.device)
            key = stream_key(f"{device}/{entry.attribute}.{entry.event_type}")
            publisher = publishers.get(key, (None, ""))[0]
            if publisher is None:
                publisher = f"device:{device.lower()}"
                nodes.setdefault(publisher, ServerNode(publisher, device, False, None, True))
            yield StreamEdge(publisher, admin, key, connected=False)


def _publishers(states: Mapping[str, EventSystemState]) -> dict[str, tuple[str, str]]:
    """Stream key -> (admin device, stream as it publishes it)."""
    return {
        stream_key(stream): (admin, stream)
        for admin, state in states.items()
        for stream in state.publishers
    }


def _backlog(
    states: Mapping[str, EventSystemState], publisher: str, stream: str, received: int
) -> int | None:
    """As the backlogs count it, for a subscription that has received something."""
    state = states.get(publisher)
    if state is None or stream not in state.publishers or received == 0:
        return None
    return state.publishers[stream].last_pushed - received


class _Channels:
    """A subscription's channel (`tango://h:1/dserver/myserver/hw`, lower case as cppTango
    gives it) to a node: the monitored server it names, else a node "not monitored"."""

    def __init__(self, servers: Iterable[ServerReport]) -> None:
        self._by_short: dict[str, list[str]] = {}
        for server in servers:
            self._by_short.setdefault(short_name(server.admin).lower(), []).append(server.admin)

    def node(self, channel: str, nodes: dict[str, ServerNode]) -> str:
        found = self._by_short.get(short_name(channel).lower(), [])
        if len(found) > 1:  # the same server name in two Tango databases: the full name says
            found = [admin for admin in found if admin.lower() == channel.lower()]
        if len(found) == 1:
            return found[0]
        node_id = channel.lower()
        nodes.setdefault(node_id, ServerNode(node_id, server_name(channel), monitored=False))
        return node_id


def _judged(report: SnapshotReport, edge: StreamEdge) -> StreamEdge:
    verdict, lag_s = edge_health(report, edge)
    return replace(edge, verdict=verdict, lag_s=lag_s)


def _with_findings(edges: list[StreamEdge], findings: Iterable[Finding]) -> list[StreamEdge]:
    """Each edge with the findings that name its subscriber and its stream (backlog,
    delayed, missed, ...): what they say, nothing more."""
    on_edge: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.stream is not None:
            key = (finding.server.lower(), stream_key(finding.stream))
            on_edge.setdefault(key, []).append(finding)
    marked = []
    for edge in edges:
        found = on_edge.get((short_name(edge.subscriber).lower(), edge.stream), [])
        if found:
            found.sort(key=lambda f: (-f.severity, -f.magnitude))
            kinds = tuple(dict.fromkeys(f.kind for f in found))
            edge = replace(edge, severity=found[0].severity, findings=kinds)
        marked.append(edge)
    return marked
