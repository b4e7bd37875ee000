"""The tutorial's device server: `python -m ska_tango_event_monitor.tutorial.my_server hw`.

Every instance can host all the classes; the Tango database decides which devices an
instance runs (MyServer/hw: foo/bar/hw; MyServer/top: foo/bar/top and foo/bar/rogue).
"""

from __future__ import annotations

import sys

from tango.server import run

from ska_tango_event_monitor.tutorial.devices import (
    FixedRogueDevice,
    HwDevice,
    RogueDevice,
    TopDevice,
)

SERVER_NAME = "MyServer"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    run((HwDevice, TopDevice, RogueDevice, FixedRogueDevice), args=[SERVER_NAME, *args])


if __name__ == "__main__":
    main()
