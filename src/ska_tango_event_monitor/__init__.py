"""Make the Tango Controls event system visible.

The library API: parse a ``QueryEventSystem`` reply into typed objects, diff two
snapshots, summarise performance samples and render a snapshot as text. Scripts written
against the SKAO event-monitor tool find its names here too (`QueryEventSystemResponse`, ...).
"""

from ska_tango_event_monitor.core.diff import ServerDiff, diff_states
from ska_tango_event_monitor.core.model import EventSystemState, Publisher, Subscription
from ska_tango_event_monitor.core.parse import ReplyError, parse_reply
from ska_tango_event_monitor.core.performance import (
    PerformanceTable,
    publisher_table,
    subscriber_table,
)
from ska_tango_event_monitor.core.session import MonitorSession, ServerPoll, Snapshot
from ska_tango_event_monitor.core.skao import (
    ClientPerfSample,
    ClientPerfSummary,
    ClientResponse,
    QueryEventSystemResponse,
    ServerPerfSample,
    ServerPerfSummary,
    ServerResponse,
)
from ska_tango_event_monitor.core.statistics import Summary, summarise
from ska_tango_event_monitor.outputs.text import render_snapshot

__version__ = "0.1.0"

__all__ = [
    "ClientPerfSample",
    "ClientPerfSummary",
    "ClientResponse",
    "EventSystemState",
    "MonitorSession",
    "PerformanceTable",
    "Publisher",
    "QueryEventSystemResponse",
    "ReplyError",
    "ServerDiff",
    "ServerPerfSample",
    "ServerPerfSummary",
    "ServerPoll",
    "ServerResponse",
    "Snapshot",
    "Subscription",
    "Summary",
    "__version__",
    "diff_states",
    "parse_reply",
    "publisher_table",
    "render_snapshot",
    "subscriber_table",
    "summarise",
]
