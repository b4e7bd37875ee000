"""Which admin devices publish the streams a server subscribes to: read from its reply, so
that a monitor given only a subscriber can poll its publishers too."""

from __future__ import annotations

from ska_tango_event_monitor.core.model import EventSystemState
from ska_tango_event_monitor.core.names import parse_device_name


def publisher_admins(state: EventSystemState) -> list[str]:
    """The full names of the publishers' admin devices (`tango://host:port/dserver/X/y`,
    from each subscription's channel name), each once, in order of the topics.

    A channel name that cannot be reached is left out: one without `tango://host:port/`,
    or of a server without database started on port 0 (cppTango then names port 0, not
    the one chosen). A subscription to the server's own devices names the server itself:
    telling it from another server needs the host names compared (the caller's job).
    """
    found: dict[str, str] = {}
    for _, subscription in sorted(state.subscriptions.items()):
        channel = subscription.channel_name.strip()
        if _reachable_admin(channel):
            found.setdefault(channel.lower(), channel)
    return list(found.values())


def _reachable_admin(channel: str) -> bool:
    try:
        name = parse_device_name(channel)
    except ValueError:
        return False
    return name.is_admin and name.host is not None and bool(name.port)
