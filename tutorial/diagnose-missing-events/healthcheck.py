"""Docker healthcheck of the tutorial control system.

    python healthcheck.py                       # the Tango database (TANGO_HOST) answers
    python healthcheck.py foo/bar/hw [...]      # every named device answers ping()
    python healthcheck.py --metrics URL         # the monitor at URL polled in the last minute
                                                # and every server it monitors answered

Exit status 0 when healthy, 1 otherwise (the reason goes to stderr). Uses only pytango and
the standard library, as the slim image has no curl.
"""

from __future__ import annotations

import re
import sys
import time
import urllib.request

import tango

TIMEOUT_MS = 3000
MAX_POLL_AGE_S = 60  # a few polls at the monitor's default --polling-period (10 s)


class Unhealthy(Exception):
    """The reason, in one line."""


def check_database() -> None:
    db = tango.Database()
    db.set_timeout_millis(TIMEOUT_MS)
    db.get_info()


def check_device(name: str) -> None:
    proxy = tango.DeviceProxy(name)
    proxy.set_timeout_millis(TIMEOUT_MS)
    proxy.ping()


def check_metrics(url: str) -> None:
    """The monitor's exporter: a recent poll, and tango_event_server_up 1 for every server."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_MS / 1000) as response:
            text = response.read().decode()
    except OSError as error:
        raise Unhealthy(f"no metrics at {url}: {error}") from None
    last_poll = re.search(r"^tango_event_monitor_last_poll_timestamp_seconds (\S+)$", text, re.M)
    if last_poll is None:
        raise Unhealthy("the monitor has not polled yet")
    age = time.time() - float(last_poll.group(1))
    if age > MAX_POLL_AGE_S:
        raise Unhealthy(f"the monitor's last poll is {age:.0f} s old")
    # every label set (server, tango_host, ...), in whatever order the exporter writes them
    up = [
        (server.group(1), value)
        for labels, value in re.findall(r"^tango_event_server_up\{([^}]*)\} (\S+)$", text, re.M)
        if (server := re.search(r'(?:^|,)server="([^"]*)"', labels))
    ]
    if not up:
        raise Unhealthy("the monitor monitors no server")
    silent = [server for server, value in up if float(value) != 1]
    if silent:
        raise Unhealthy(f"not answering QueryEventSystem: {', '.join(silent)}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    try:
        if args[:1] == ["--metrics"] and len(args) == 2:
            check_metrics(args[1])
            return 0
        if not args:
            check_database()
        for name in args:
            check_device(name)
    except Unhealthy as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    except tango.DevFailed as exc:
        target = ", ".join(args) or "Tango database"
        print(f"unhealthy: {target}: {exc.args[0].desc.strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
