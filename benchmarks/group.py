"""`tango.Group` over admin devices: the C++ fan-out that our round is compared with."""

from __future__ import annotations

from collections.abc import Sequence

import tango

QUERY = "QueryEventSystem"


def group_of(admins: Sequence[str], timeout_s: float) -> tango.Group:
    group = tango.Group("event-bench")
    group.add(list(admins))  # full names (tango://host:port/dserver/...): no pattern lookup
    group.set_timeout_millis(round(timeout_s * 1000))
    if group.get_size() != len(admins):
        raise RuntimeError(f"tango.Group holds {group.get_size()} devices, not {len(admins)}")
    return group


def group_round(group: tango.Group) -> list:
    replies = group.command_inout(QUERY)
    for reply in replies:
        if not reply.has_failed():
            reply.get_data()  # the reply string, as the others get it
    return replies
