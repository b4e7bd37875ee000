"""Subscriptions that get nothing: not connected, never a first event while the publisher
pushes, a publisher with no entry for the stream, a publisher that does not answer.

Each finding names the subscription and how long it has been so (the monitor's clock). A
publisher that answers while its subscriber cannot connect is not "unreachable": its event
endpoint is, and the endpoints it advertises, probed from the monitor's host, say why.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple, Protocol

from ska_tango_event_monitor.core.endpoints import EndpointCheck, endpoints_text, none_reachable
from ska_tango_event_monitor.core.findings.model import Finding, Severity, stream_label
from ska_tango_event_monitor.core.flow import PublisherIndex, ServerView
from ska_tango_event_monitor.core.model import (
    EventSystemState,
    NotConnected,
    Publisher,
    Subscription,
)
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.streams import attribute_name, stream_key

# a publisher restart or a lost subscription heals at the next keep-alive retries (every
# 10 s): only what lasts longer than two of them is a finding
PERSIST_S = 20.0
NOTHING_PUSHED = 2  # events pushed since a subscription was first seen, none received


class _Poll(Protocol):
    @property
    def admin(self) -> str: ...
    @property
    def devices(self) -> tuple[str, ...]: ...
    @property
    def endpoints(self) -> tuple[EndpointCheck, ...] | None: ...


class PollFacts(NamedTuple):
    """What a poll knows besides the replies: the devices named for each server and the
    endpoints probed (only at publishers whose subscribers get nothing)."""

    devices: Mapping[str, tuple[str, ...]] = {}
    endpoints: Mapping[str, tuple[EndpointCheck, ...]] = {}

    @classmethod
    def of(cls, polls: Iterable[_Poll]) -> PollFacts:
        polls = list(polls)
        return cls(
            {poll.admin: poll.devices for poll in polls},
            {poll.admin: poll.endpoints for poll in polls if poll.endpoints is not None},
        )


class Publishers:
    """Who publishes what, among the servers polled at this snapshot."""

    def __init__(
        self,
        states: Mapping[str, EventSystemState],
        failures: Iterable[str],
        facts: PollFacts,
        index: PublisherIndex | None = None,
    ) -> None:
        """`index`: the snapshot's publisher index, when the analyser has made it already."""
        self.answering = {_key(admin): admin for admin in states}
        self.down = {_key(admin): admin for admin in failures}
        self.streams: Mapping[str, tuple[str, Publisher]] = (
            {
                stream_key(stream): (admin, publisher)
                for admin, state in states.items()
                for stream, publisher in state.publishers.items()
            }
            if index is None
            else index
        )
        self.device_admin = {
            _key(device): admin for admin, names in facts.devices.items() for device in names
        } | {_key(attribute_name(s).rpartition("/")[0]): a for s, (a, _) in self.streams.items()}

    def of_device(self, device: str) -> str | None:
        return self.device_admin.get(_key(device))

    def of_channel(self, channel_name: str) -> str | None:
        key = _key(channel_name)
        return self.answering.get(key) or self.down.get(key)


def suspect_publishers(
    states: Mapping[str, EventSystemState], devices: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """Answering publishers some answering subscriber cannot hear: worth a probe."""
    publishers = Publishers(states, (), PollFacts(devices))
    found: set[str] = set()
    for state in states.values():
        for entry in state.not_connected:
            found.add(publishers.of_device(entry.device) or "")
        for subscription in state.subscriptions.values():
            if _nothing_yet(subscription):
                found.add(publishers.of_channel(subscription.channel_name) or "")
    return sorted(admin for admin in found if admin in states)


class SilentSubscriptions:
    def __init__(self) -> None:
        # (subscriber, kind, topic) -> (monitor time first seen so, publisher's last pushed)
        self._since: dict[tuple[str, str, str], tuple[float, int]] = {}

    def judge(
        self,
        views: Sequence[ServerView],
        failures: Mapping[str, str],
        facts: PollFacts,
        now: float,
        index: PublisherIndex | None = None,
    ) -> list[Finding]:
        publishers = Publishers({v.admin: v.state for v in views}, failures, facts, index)
        seen: set[tuple[str, str, str]] = set()
        found: list[Finding] = []
        for view in views:
            judge = _Judge(self, view.admin, publishers, failures, facts, now, seen)
            found += [f for entry in view.state.not_connected for f in judge.not_connected(entry)]
            for subscription in view.state.subscriptions.values():
                found += judge.subscription(subscription, view.state)
        self._since = {key: value for key, value in self._since.items() if key in seen}
        return found

    def since(self, key: tuple[str, str, str], now: float, pushed: int = 0) -> tuple[float, int]:
        return self._since.setdefault(key, (now, pushed))


class _Judge:
    """The rule for one subscriber at one snapshot."""

    def __init__(
        self,
        memory: SilentSubscriptions,
        subscriber: str,
        publishers: Publishers,
        failures: Mapping[str, str],
        facts: PollFacts,
        now: float,
        seen: set[tuple[str, str, str]],
    ) -> None:
        self.memory, self.subscriber, self.publishers = memory, subscriber, publishers
        self.failures, self.facts, self.now, self.seen = failures, facts, now, seen

    def _for(self, kind: str, topic: str, pushed: int = 0) -> tuple[float, int]:
        key = (self.subscriber, kind, topic)
        self.seen.add(key)
        since, first_pushed = self.memory.since(key, self.now, pushed)
        return self.now - since, first_pushed

    def not_connected(self, entry: NotConnected) -> Iterator[Finding]:
        stream = stream_label(f"{entry.device}/{entry.attribute}.{entry.event_type}")
        lasted, _ = self._for("not connected", stream)
        publisher = self.publishers.of_device(entry.device)
        heartbeat = f"last heartbeat {entry.last_heartbeat}"
        if publisher in self.publishers.answering.values():
            assert publisher is not None
            what = f"subscription not connected{_for(lasted)} while its publisher " + (
                f"{short_name(publisher)} answers the monitor"
            )
            yield self._unreachable(publisher, stream, what, lasted)
        elif publisher in self.failures:
            assert publisher is not None
            yield Finding(
                Severity.WARNING,
                "not connected",
                self.subscriber,
                stream,
                f"subscription not connected{_for(lasted)} ({heartbeat}): its publisher's "
                f"server {short_name(publisher)} does not run or answer the monitor; the "
                "keep-alive thread retries every 10 s",
                magnitude=lasted,
            )
        else:
            yield Finding(
                Severity.WARNING,
                "not connected",
                self.subscriber,
                stream,
                f"subscription not connected{_for(lasted)} ({heartbeat}): "
                "the publisher is unreachable; the keep-alive thread retries every 10 s",
                magnitude=lasted,
            )

    def subscription(self, subscription: Subscription, state: EventSystemState) -> list[Finding]:
        topic, stream = subscription.topic, stream_label(subscription.topic)
        publisher = self.publishers.of_channel(subscription.channel_name)
        if publisher is None:
            return []  # not monitored: the analyser says what it could not judge
        if publisher in self.failures:
            lasted, _ = self._for("publisher down", topic)
            if lasted <= PERSIST_S:
                return []
            return [self._down(publisher, stream, lasted)]
        match = self.publishers.streams.get(stream_key(topic))
        if match is None:
            lasted, _ = self._for("no stream", topic)
            return [] if lasted <= PERSIST_S else [self._no_entry(publisher, stream, lasted)]
        if not _nothing_yet(subscription):
            return []
        pushed = (match[0], match[1].last_pushed)
        lasted, first_pushed = self._for("nothing yet", topic, pushed[1])
        if pushed[1] - first_pushed < NOTHING_PUSHED:
            return []
        listens = state.event_channels.get(subscription.channel_name, "")
        what = (
            f"subscription received nothing{_for(lasted)} while its publisher "
            f"{short_name(pushed[0])} pushed {pushed[1] - first_pushed} events and answers "
            "the monitor"
        )
        return [self._unreachable(pushed[0], stream, what, lasted, listens)]

    def _unreachable(
        self, publisher: str, stream: str, what: str, lasted: float, listens: str = ""
    ) -> Finding:
        checks = self.facts.endpoints.get(publisher)  # None: --no-probe, or not probed yet
        heard = f"; the subscriber listens at {listens}" if listens else ""
        advertised = f"; it advertises {endpoints_text(checks)}" if checks else ""
        verdict = "its event endpoint is unreachable from the subscriber"
        if checks and none_reachable(checks):
            verdict += " (and from the monitor's host)"
        return Finding(
            Severity.ERROR,
            "unreachable endpoint",
            self.subscriber,
            stream,
            f"{what}: {verdict}{heard}{advertised} (a name or address the publisher sees "
            "itself, e.g. in a container)",
            magnitude=lasted,
        )

    def _down(self, publisher: str, stream: str, lasted: float) -> Finding:
        return Finding(
            Severity.WARNING,
            "publisher down",
            self.subscriber,
            stream,
            f"its publisher's server {short_name(publisher)} has not answered the monitor "
            f"for {lasted:.0f} s: the subscription gets nothing (API_EventTimeout every 10 s) "
            "until it runs again",
            magnitude=lasted,
        )

    def _no_entry(self, publisher: str, stream: str, lasted: float) -> Finding:
        return Finding(
            Severity.WARNING,
            "no publisher entry",
            self.subscriber,
            stream,
            f"its publisher {short_name(publisher)} answers but has had no entry for the "
            f"stream for {lasted:.0f} s (it restarted and lost the subscription, or never "
            "had it): the subscription gets nothing until the keep-alive subscribes again",
            magnitude=lasted,
        )


def _nothing_yet(subscription: Subscription) -> bool:
    return subscription.server_counter == 0 and subscription.event_count == 0


def _for(lasted: float) -> str:
    return f" for {lasted:.0f} s" if lasted >= 1 else ""


def _key(name: str) -> str:
    return short_name(name).lower()
