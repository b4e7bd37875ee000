"""The snapshot model: one `QueryEventSystem` reply as immutable, typed objects."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

_EMPTY: Mapping[str, Any] = MappingProxyType({})


class Publisher(NamedTuple):
    """An event stream this server publishes (`X.change`, `X.archive`, ...)."""

    stream: str
    next_counter: int

    @property
    def last_pushed(self) -> int:
        # cppTango reports the NEXT counter it will send; the last one sent is one less
        return self.next_counter - 1


class Subscription(NamedTuple):
    """A ZMQ topic this server's process subscribes to (`X.idl5_change`, ...)."""

    topic: str
    channel_name: str
    callback_count: int
    server_counter: int
    event_count: int
    missed_event_count: int
    discarded_event_count: int
    last_resubscribed: str | None = None


@dataclass(frozen=True)
class NotConnected:
    """A subscription that could not be made (kept retrying by the keep-alive thread)."""

    device: str
    attribute: str
    event_type: str
    last_heartbeat: object = None
    tango_host: str | None = None


# Samples are named tuples, not dataclasses: a poll can carry thousands of them.


class PublisherSample(NamedTuple):
    micros_since_last_event: int | None
    push_event_micros: int


class SubscriberSample(NamedTuple):
    attr_name: str
    micros_since_last_event: int | None
    sleep_micros: int
    process_micros: int
    first_callback_latency_micros: int | None
    callback_count: int
    wake_count: int
    discarded: bool


def processed(samples: Iterable[SubscriberSample] | None) -> list[SubscriberSample]:
    """The samples of events the callbacks processed: a discarded event (the same counter
    twice) has no callback, so its times say nothing about the event thread's work."""
    return [sample for sample in samples or () if not sample.discarded]


@dataclass(frozen=True)
class EventSystemState:
    """What one device server process reports about its event system at one instant.

    Sample tuples are None while performance monitoring is off.
    """

    publishers: Mapping[str, Publisher] = field(default_factory=lambda: _EMPTY)
    subscriptions: Mapping[str, Subscription] = field(default_factory=lambda: _EMPTY)
    not_connected: tuple[NotConnected, ...] = ()
    event_channels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    publisher_samples: tuple[PublisherSample, ...] | None = None
    subscriber_samples: tuple[SubscriberSample, ...] | None = None
    # the reply's "server" / "client" was an object, not null: the process published /
    # subscribed (an empty publisher map cannot tell)
    server_present: bool = False
    client_present: bool = False

    @property
    def perf_off(self) -> bool:
        """A side the process has carries no samples: performance monitoring is off."""
        return (self.server_present and self.publisher_samples is None) or (
            self.client_present and self.subscriber_samples is None
        )
