"""The snapshot model: one `QueryEventSystem` reply as immutable, typed objects."""

from __future__ import annotations

import functools
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


# A reply's samples are kept as columns (one tuple per field, in sample order): tables,
# rules and exporters read a field across all samples, and columns cost one tuple per
# field instead of one object per sample.


class PublisherColumns(NamedTuple):
    micros_since_last_event: tuple[int | None, ...]
    push_event_micros: tuple[int, ...]

    @property
    def sample_count(self) -> int:
        return len(self.push_event_micros)

    def samples(self) -> tuple[PublisherSample, ...]:
        return tuple(map(PublisherSample._make, zip(*self, strict=True)))

    @classmethod
    def of(cls, samples: Iterable[PublisherSample]) -> PublisherColumns:
        rows = tuple(samples)
        return cls(*zip(*rows, strict=True)) if rows else cls((), ())


class SubscriberColumns(NamedTuple):
    attr_name: tuple[str, ...]
    micros_since_last_event: tuple[int | None, ...]
    sleep_micros: tuple[int, ...]
    process_micros: tuple[int, ...]
    first_callback_latency_micros: tuple[int | None, ...]
    callback_count: tuple[int, ...]
    wake_count: tuple[int, ...]
    discarded: tuple[bool, ...]

    @property
    def sample_count(self) -> int:
        return len(self.discarded)

    def samples(self) -> tuple[SubscriberSample, ...]:
        return tuple(map(SubscriberSample._make, zip(*self, strict=True)))

    def processed(self) -> SubscriberColumns:
        """The columns without the discarded events' samples (see `processed`)."""
        if True not in self.discarded:
            return self
        kept = [not discarded for discarded in self.discarded]
        columns: list[tuple[Any, ...]] = [
            tuple(v for v, keep in zip(column, kept, strict=True) if keep) for column in self
        ]
        return SubscriberColumns(*columns)

    @classmethod
    def of(cls, samples: Iterable[SubscriberSample]) -> SubscriberColumns:
        rows = tuple(samples)
        return cls(*zip(*rows, strict=True)) if rows else cls(*((),) * 8)


@dataclass(frozen=True)
class EventSystemState:
    """What one device server process reports about its event system at one instant.

    Sample columns (and samples) are None while performance monitoring is off.
    """

    publishers: Mapping[str, Publisher] = field(default_factory=lambda: _EMPTY)
    subscriptions: Mapping[str, Subscription] = field(default_factory=lambda: _EMPTY)
    not_connected: tuple[NotConnected, ...] = ()
    event_channels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    publisher_columns: PublisherColumns | None = None
    subscriber_columns: SubscriberColumns | None = None
    # the reply's "server" / "client" was an object, not null: the process published /
    # subscribed (an empty publisher map cannot tell)
    server_present: bool = False
    client_present: bool = False

    @property
    def perf_off(self) -> bool:
        """A side the process has carries no samples: performance monitoring is off."""
        return (self.server_present and self.publisher_columns is None) or (
            self.client_present and self.subscriber_columns is None
        )

    @functools.cached_property
    def publisher_samples(self) -> tuple[PublisherSample, ...] | None:
        """The publisher samples one by one (made from the columns when first asked for)."""
        return None if self.publisher_columns is None else self.publisher_columns.samples()

    @functools.cached_property
    def subscriber_samples(self) -> tuple[SubscriberSample, ...] | None:
        return None if self.subscriber_columns is None else self.subscriber_columns.samples()

    @functools.cached_property
    def processed_columns(self) -> SubscriberColumns | None:
        """The subscriber columns without discarded events (see `processed`)."""
        return None if self.subscriber_columns is None else self.subscriber_columns.processed()
