"""The event-system commands of an admin device (`QueryEventSystem`,
`EnableEventSystemPerfMon`), and the calling process's own event system."""

from __future__ import annotations

import tango

from ska_tango_event_monitor.tango.errors import UnsupportedServerError, failure_reason

QUERY_COMMAND = "QueryEventSystem"
PERF_COMMAND = "EnableEventSystemPerfMon"
SUBSCRIPTION_COMMAND = "ZmqEventSubscriptionChange"


def is_unsupported(error: BaseException) -> bool:
    """A server without the event-system commands (cppTango older than 10.1)."""
    return failure_reason(error) == "API_CommandNotFound"


class AdminDevice:
    """The event-system commands of one admin device; call it from one thread at a time.

    pytango is untyped here: each reply is typed where it is read (a DevString: `str`).
    """

    def __init__(self, name: str, timeout_s: float) -> None:
        self.name = name
        self._timeout_ms = max(1, round(timeout_s * 1000))
        self._proxy: tango.DeviceProxy | None = None

    def query_event_system(self) -> str:
        # command_inout, not proxy.QueryEventSystem(): the attribute lookup of a server that
        # is down raises AttributeError and hides the DevFailed.
        reply: str = self._connect().command_inout(QUERY_COMMAND)
        return reply

    def set_perf_monitoring(self, enabled: bool) -> None:
        self._connect().command_inout(PERF_COMMAND, enabled)

    def endpoint_info(self) -> list[str]:
        """The string part of `ZmqEventSubscriptionChange(["info"])`: the ZMQ endpoints
        this server advertises to its subscribers (`Heartbeat: tcp://...`, ...)."""
        _, lines = self._connect().command_inout(SUBSCRIPTION_COMMAND, ["info"])
        return [str(line) for line in lines]

    # QueryEventSystem in two halves (Tango's asynchronous call, polling model), so that
    # one thread can send to every server and then collect the answers.

    def send_query(self) -> object:
        """Send the call; returns the ticket for `receive_query` / `take_query`."""
        return self._connect().command_inout_asynch(QUERY_COMMAND)

    def receive_query(self, ticket: object) -> str:
        """Wait for the answer (at most the proxy's timeout)."""
        reply: str = self._connect().command_inout_reply(ticket, 0)
        return reply

    def take_query(self, ticket: object) -> str | None:
        """The answer if it has arrived, else None."""
        try:
            reply: str = self._connect().command_inout_reply(ticket)
        except tango.DevFailed as error:
            if failure_reason(error) == "API_AsynReplyNotArrived":
                return None
            raise
        return reply

    def _connect(self) -> tango.DeviceProxy:
        if self._proxy is None:
            proxy = tango.DeviceProxy(self.name)
            proxy.set_timeout_millis(self._timeout_ms)
            self._proxy = proxy
        return self._proxy


def query_this_process() -> str:
    """The calling process's own event system as a client (pytango >= 10.3), e.g. a test."""
    api = tango.ApiUtil.instance()
    if not hasattr(api, "query_event_system"):
        raise UnsupportedServerError("this pytango has no ApiUtil.query_event_system (>= 10.3)")
    reply: str = api.query_event_system()
    return reply
