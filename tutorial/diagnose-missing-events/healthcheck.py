"""Docker healthcheck of the tutorial control system.

    python healthcheck.py                       # the Tango database (TANGO_HOST) answers
    python healthcheck.py foo/bar/hw [...]      # every named device answers ping()

Exit status 0 when healthy, 1 otherwise (the reason goes to stderr). Uses only pytango and
the monitor's package (both in the image), as the slim image has no curl.
"""

from __future__ import annotations

import sys

import tango

from ska_tango_event_monitor.tango.errors import describe_failure

TIMEOUT_MS = 3000


def check_database() -> None:
    db = tango.Database()
    db.set_timeout_millis(TIMEOUT_MS)
    db.get_info()


def check_device(name: str) -> None:
    proxy = tango.DeviceProxy(name)
    proxy.set_timeout_millis(TIMEOUT_MS)
    proxy.ping()


def main(argv: list[str] | None = None) -> int:
    devices = sys.argv[1:] if argv is None else argv
    try:
        if not devices:
            check_database()
        for name in devices:
            check_device(name)
    except tango.DevFailed as exc:
        target = ", ".join(devices) or "Tango database"
        print(f"unhealthy: {target}: {describe_failure(exc, with_reason=False)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
