"""The names of the SKAO event-monitor tool, for scripts written against it.

`QueryEventSystemResponse.from_json(reply)`, its `ServerResponse` and `ClientResponse`, and
the `ServerPerfSummary` / `ClientPerfSummary` of their samples. They are thin views over
this package's own parser (`parse_reply`), model and statistics: a reply read here and the
`--monitor` tables of the same reply give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

from ska_tango_event_monitor.core.model import (
    NotConnected,
    PublisherSample,
    SubscriberSample,
    Subscription,
)
from ska_tango_event_monitor.core.parse import ReplyError, decode_reply, parse_reply
from ska_tango_event_monitor.core.performance import client_columns, server_columns
from ska_tango_event_monitor.core.statistics import Summary, summarise

# The SKAO tool's sample names for our samples: the same fields, named as in the JSON.
ServerPerfSample = PublisherSample
ClientPerfSample = SubscriberSample

S = TypeVar("S")


@dataclass(frozen=True)
class ServerResponse:
    """The `server` part of a reply: what the process publishes."""

    #: stream (`tango://HOST:PORT/dev/attr.change`) -> the NEXT counter it will send
    #: (the last one pushed is one less)
    event_counters: Mapping[str, int]
    #: the publisher samples, None while performance monitoring is off
    perf: list[ServerPerfSample] | None


@dataclass(frozen=True)
class ClientResponse:
    """The `client` part of a reply: what the process subscribes to."""

    #: ZMQ topic (`tango://HOST:PORT/dev/attr.idl5_change`) -> its counters
    event_callbacks: Mapping[str, Subscription]
    #: subscriptions that could not be made, retried by the keep-alive thread
    not_connected: tuple[NotConnected, ...]
    #: publisher's admin device (`tango://HOST:PORT/dserver/exe/inst`) -> its ZMQ endpoint
    event_channels: Mapping[str, str]
    #: the subscriber samples, None while performance monitoring is off
    perf: list[ClientPerfSample] | None


@dataclass(frozen=True)
class QueryEventSystemResponse:
    """One `QueryEventSystem()` reply. `server` is None when the process never published,
    `client` None when it never subscribed (`null` in the reply)."""

    version: int
    server: ServerResponse | None
    client: ClientResponse | None

    @classmethod
    def from_json(cls, reply: str | Mapping[str, Any]) -> QueryEventSystemResponse:
        """The reply as text or as its decoded JSON object; `ReplyError` if it is not one
        this tool reads (another version, a wrong shape)."""
        data = decode_reply(reply) if isinstance(reply, str) else reply
        if not isinstance(data, Mapping):
            raise ReplyError("reply is not a JSON object")
        state = parse_reply(data)
        # the parsed state holds an empty side for `null`: the decoded reply tells them apart
        server = None
        if data.get("server") is not None:
            counters = {stream: p.next_counter for stream, p in state.publishers.items()}
            server = ServerResponse(MappingProxyType(counters), _listed(state.publisher_samples))
        client = None
        if data.get("client") is not None:
            client = ClientResponse(
                event_callbacks=state.subscriptions,
                not_connected=state.not_connected,
                event_channels=state.event_channels,
                perf=_listed(state.subscriber_samples),
            )
        return cls(version=int(data["version"]), server=server, client=client)


@dataclass(frozen=True)
class ServerPerfSummary:
    """The Server performance table of some publisher samples, in microseconds; a field is
    None when no sample has its value."""

    #: Event Gaps: `micros_since_last_event` (the first push has none)
    event_gaps: Summary | None
    #: Push Time: `push_event_micros`
    push_time: Summary | None

    @classmethod
    def from_samples(cls, samples: Iterable[ServerPerfSample]) -> ServerPerfSummary:
        """The summary of the samples of one reply, or of several gathered together."""
        columns = server_columns(tuple(samples))
        return cls(summarise(columns.event_gaps), summarise(columns.push_time))


@dataclass(frozen=True)
class ClientPerfSummary:
    """The Client performance table of some subscriber samples, durations in microseconds.
    Discarded events count in `callbacks_called` and `wake_count` only, as in the table; a
    field is None when no sample has its value."""

    #: Event Gaps: `micros_since_last_event`
    event_gaps: Summary | None
    #: Sleep Time: `sleep_micros`
    sleep_time: Summary | None
    #: Latency: `first_callback_latency_micros`
    latency: Summary | None
    #: Callbacks called: `callback_count`
    callbacks_called: Summary | None
    #: Wake Count: `wake_count`
    wake_count: Summary | None
    #: `<attr_name> Processing Time`: `process_micros` by `attr_name`, sorted by name
    processing_time: Mapping[str, Summary]

    @classmethod
    def from_samples(cls, samples: Iterable[ClientPerfSample]) -> ClientPerfSummary:
        """The summary of the samples of one reply, or of several gathered together."""
        columns = client_columns(tuple(samples))
        processing = {name: summarise(micros) for name, micros in columns.processing_time.items()}
        return cls(
            event_gaps=summarise(columns.event_gaps),
            sleep_time=summarise(columns.sleep_time),
            latency=summarise(columns.latency),
            callbacks_called=summarise(columns.callbacks_called),
            wake_count=summarise(columns.wake_count),
            # a name is only there with samples: its summary is never None
            processing_time=MappingProxyType(
                {name: summary for name, summary in processing.items() if summary is not None}
            ),
        )


def _listed(samples: tuple[S, ...] | None) -> list[S] | None:
    return None if samples is None else list(samples)
