"""Parse a `QueryEventSystem` reply (JSON, `"version": 1`) into an `EventSystemState`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import orjson

from ska_tango_event_monitor.core.model import (
    EventSystemState,
    NotConnected,
    Publisher,
    Subscription,
)
from ska_tango_event_monitor.core.sample_columns import publisher_columns, subscriber_columns
from ska_tango_event_monitor.core.typed_reply import typed_state

SUPPORTED_VERSION = 1


class ReplyError(ValueError):
    """The reply is not a `QueryEventSystem` JSON object this tool understands."""


def decode_reply(text: str | bytes) -> dict[str, Any]:
    """The reply string as a JSON object (what a recording stores); orjson reads it several
    times faster than the standard library, and a reply is mostly names to read."""
    try:
        reply = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise ReplyError(f"reply is not JSON: {error}") from None
    if not isinstance(reply, dict):
        raise ReplyError("reply is not a JSON object")
    return reply


class DecodedOnDemand(Mapping[str, Any]):
    """A reply's JSON object, decoded from its text only if someone reads it: the state
    was parsed from the text already, and the recording writes the text itself."""

    def __init__(self, text: str | bytes) -> None:
        self.text = text
        self._decoded: dict[str, Any] | None = None

    @property
    def undecoded(self) -> str | bytes | None:
        """The text, while its object has not been decoded (None after)."""
        return self.text if self._decoded is None else None

    def _object(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = decode_reply(self.text)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._object()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._object())

    def __len__(self) -> int:
        return len(self._object())

    def __repr__(self) -> str:
        return repr(self._object())


def read_reply(text: str | bytes) -> tuple[Mapping[str, Any], EventSystemState | None]:
    """A reply as it arrives: its JSON object and its state, parsed once (None when the
    state cannot be read: the session says why). ReplyError if it is not a JSON object."""
    state = typed_state(text, SUPPORTED_VERSION)
    if state is not None:
        return DecodedOnDemand(text), state
    decoded = decode_reply(text)
    try:
        return decoded, parse_reply(decoded)
    except ReplyError:
        return decoded, None


def parse_reply(reply: str | Mapping[str, Any]) -> EventSystemState:
    """Typed view of one reply; unknown keys are ignored, an unknown version is refused."""
    text = reply.undecoded if isinstance(reply, DecodedOnDemand) else reply
    if isinstance(text, (str, bytes)):
        state = typed_state(text, SUPPORTED_VERSION)  # the fast way, when the reply fits
        if state is not None:
            return state
    data = decode_reply(reply) if isinstance(reply, str) else reply
    version = data.get("version")
    if version != SUPPORTED_VERSION:
        raise ReplyError(
            f"unsupported QueryEventSystem reply version {version!r} "
            f"(this tool reads version {SUPPORTED_VERSION})"
        )
    try:
        return _parse_state(data.get("server") or {}, data.get("client") or {}, data)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ReplyError(f"malformed QueryEventSystem reply: {error!r}") from None


def _parse_state(
    server: Mapping[str, Any], client: Mapping[str, Any], data: Mapping[str, Any]
) -> EventSystemState:
    publishers = {
        stream: _new(Publisher, (stream, int(counter)))
        for stream, counter in (server.get("event_counters") or {}).items()
    }
    subscriptions = {
        topic: _subscription(topic, entry)
        for topic, entry in (client.get("event_callbacks") or {}).items()
    }
    channels = {
        name: str(entry.get("endpoint", ""))
        for name, entry in (client.get("event_channels") or {}).items()
    }
    return EventSystemState(
        publishers=MappingProxyType(publishers),
        subscriptions=MappingProxyType(subscriptions),
        not_connected=tuple(_not_connected(entry) for entry in client.get("not_connected") or ()),
        event_channels=MappingProxyType(channels),
        publisher_columns=publisher_columns(data.get("server")),
        subscriber_columns=subscriber_columns(data.get("client")),
        server_present=isinstance(data.get("server"), Mapping),
        client_present=isinstance(data.get("client"), Mapping),
    )


# named tuples made without their Python-level __new__: thousands per poll
_new = tuple.__new__


def _subscription(topic: str, entry: Mapping[str, Any]) -> Subscription:
    return _new(
        Subscription,
        (
            topic,
            str(entry.get("channel_name", "")),
            int(entry["callback_count"]),
            int(entry["server_counter"]),
            int(entry["event_count"]),
            int(entry["missed_event_count"]),
            int(entry["discarded_event_count"]),
            entry.get("last_resubscribed"),
        ),
    )


def _not_connected(entry: Mapping[str, Any]) -> NotConnected:
    return NotConnected(
        device=str(entry.get("device", "")),
        attribute=str(entry.get("attribute", "")),
        event_type=str(entry.get("event_type", "")),
        last_heartbeat=entry.get("last_heartbeat"),
        tango_host=entry.get("tango_host"),
    )
