"""What the rules remember from earlier snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field

from ska_tango_event_monitor.core.flow import Backlog


@dataclass
class Memory:
    backlog: dict[tuple[str, str], Backlog] = field(default_factory=dict)
    stalled_polls: dict[tuple[str, str], int] = field(default_factory=dict)
