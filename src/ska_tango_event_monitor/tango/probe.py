"""From the monitor's host: the ZMQ endpoints a publisher advertises, whether each name
resolves and whether its port accepts a TCP connection.

Everything runs in background threads and is cached (the endpoints of a publisher for
`refresh_s`, a probe's result per endpoint for the run), so a polling round never waits:
`checks` returns what is known so far, the rest comes at a later poll.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from ska_tango_event_monitor.core.endpoints import EndpointCheck, parse_endpoint_info
from ska_tango_event_monitor.core.findings.silent import suspect_publishers
from ska_tango_event_monitor.core.session import Snapshot
from ska_tango_event_monitor.tango.admin import AdminDevice

Resolve = Callable[[str, int], str]  # host, port -> the first address it resolves to


def resolve_address(host: str, port: int) -> str:
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return str(info[0][4][0])


class EndpointProbe:
    def __init__(
        self,
        timeout_s: float = 0.5,
        refresh_s: float = 30.0,
        resolve: Resolve = resolve_address,
    ) -> None:
        self.timeout_s, self.refresh_s, self._resolve = timeout_s, refresh_s, resolve
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="endpoint-probe")
        self._admins: dict[str, AdminDevice] = {}
        self._info: dict[str, tuple[float, Future[tuple[EndpointCheck, ...]]]] = {}
        self._probes: dict[str, Future[EndpointCheck]] = {}

    def checks(self, admin: str) -> tuple[EndpointCheck, ...] | None:
        """What is known of `admin`'s endpoints (None: not yet asked or no answer);
        endpoints whose probe has not finished yet have `resolves` None."""
        advertised = self._advertised(admin)
        if advertised is None:
            return None
        return tuple(self._probed(check) for check in advertised)

    def _advertised(self, admin: str) -> tuple[EndpointCheck, ...] | None:
        asked = self._info.get(admin)
        if asked is None or (asked[1].done() and time.monotonic() - asked[0] > self.refresh_s):
            device = self._admins.setdefault(admin, AdminDevice(admin, self.timeout_s * 4))
            future = self._pool.submit(lambda: parse_endpoint_info(device.endpoint_info()))
            self._info[admin] = asked = (time.monotonic(), future)
        future = asked[1]
        if not future.done() or future.exception() is not None:
            return None
        return future.result()

    def _probed(self, check: EndpointCheck) -> EndpointCheck:
        future = self._probes.get(check.endpoint)
        if future is None:
            future = self._probes[check.endpoint] = self._pool.submit(self.probe, check)
        if not future.done():
            return check
        return future.result()._replace(role=check.role)

    def probe(self, check: EndpointCheck) -> EndpointCheck:
        """Try one endpoint now (blocks up to the timeout once resolved)."""
        target = check.host_port
        if target is None:
            return check._replace(resolves=False, detail="not a tcp://host:port endpoint")
        host, port = target
        try:
            address = self._resolve(host, port)
        except OSError as error:  # gaierror: "Name or service not known", ...
            return check._replace(resolves=False, detail=error.strerror or str(error))
        try:
            with socket.create_connection((address, port), timeout=self.timeout_s):
                return check._replace(resolves=True, accepts=True, detail=address)
        except TimeoutError:
            detail = f"{address}, no answer within {self.timeout_s:g} s"
            return check._replace(resolves=True, accepts=False, detail=detail)
        except OSError:
            return check._replace(resolves=True, accepts=False, detail=address)

    def attach(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with the endpoints of the publishers whose subscribers get nothing."""
        states = {poll.admin: poll.state for poll in snapshot.polls if poll.state is not None}
        devices = {poll.admin: poll.devices for poll in snapshot.polls}
        suspects = suspect_publishers(states, devices)
        if not suspects:
            return snapshot
        checks = {admin: self.checks(admin) for admin in suspects}
        polls = tuple(
            poll.with_endpoints(found) if (found := checks.get(poll.admin)) else poll
            for poll in snapshot.polls
        )
        return replace(snapshot, polls=polls)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> EndpointProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
