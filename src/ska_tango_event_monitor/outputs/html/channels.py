"""A server's connections in the HTML report: the event channels it receives from, and
each subscription's keep-alive (cppTango re-subscribes about every 210 s; a publisher drops
a subscription not confirmed for 600 s)."""

from __future__ import annotations

from html import escape

from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.units import duration
from ska_tango_event_monitor.outputs.html.history import ServerHistory


def connections(server: ServerHistory) -> str:
    """A folded table of both, as of the latest answered poll ('' when there is none)."""
    if not server.event_channels and not server.resubscriptions:
        return ""
    rows = "".join(
        f"<tr><td>{escape(short_name(admin))}</td><td>{escape(endpoint)}</td></tr>"
        for admin, endpoint in sorted(server.event_channels.items())
    )
    channels = (
        f"<table><tr><th>events from</th><th>ZMQ endpoint</th></tr>{rows}</table>" if rows else ""
    )
    keepalive = "".join(
        f"<tr><td>{escape(short_name(r.topic))}</td>"
        f"<td>{escape(r.last_resubscribed or 'not yet')}</td>"
        f"<td>{escape(duration(r.unchanged_s * 1e6))}</td></tr>"
        for r in server.resubscriptions
    )
    if keepalive:
        keepalive = (
            "<table><tr><th>subscription</th><th>last re-subscribed (its clock)</th>"
            f"<th>unchanged for</th></tr>{keepalive}</table>"
        )
    count = len(server.resubscriptions)
    return (
        f'<details class="connections"><summary>Event channels ({len(server.event_channels)}) '
        f"and keep-alive of {count} subscription(s)</summary>{channels}{keepalive}</details>"
    )
