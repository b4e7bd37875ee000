"""One-shot registration of the tutorial devices in the Tango database (TANGO_HOST).

Idempotent: registering a device again only refreshes its server and class. Device
properties are not written; the device classes default to the tutorial's numbers.
"""

from __future__ import annotations

import sys
import time

import tango

# (server, class, device): MyServer/hw runs the hardware; MyServer/top runs the top device
# and the rogue forwarder, which share that server's event consumer thread.
DEVICES = (
    ("MyServer/hw", "HwDevice", "foo/bar/hw"),
    ("MyServer/top", "TopDevice", "foo/bar/top"),
    ("MyServer/top", "RogueDevice", "foo/bar/rogue"),
)


def connect(timeout: float = 60.0) -> tango.Database:
    """The database, retried until it answers or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            db = tango.Database()
            db.get_info()
            return db
        except tango.DevFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def register(db: tango.Database) -> None:
    for server, class_name, device in DEVICES:
        info = tango.DbDevInfo()
        info.server = server
        info._class = class_name
        info.name = device
        db.add_device(info)
        print(f"Registered {device} (class {class_name}) in server {server}", flush=True)


def main() -> int:
    register(connect())
    return 0


if __name__ == "__main__":
    sys.exit(main())
