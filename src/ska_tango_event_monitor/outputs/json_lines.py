"""`--format json`: each snapshot report as one JSON object, for other tools."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from ska_tango_event_monitor.core.findings_log import FindingsLog
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.core.session import SnapshotReport

FORMAT_VERSION = 1


def report_to_json(report: SnapshotReport) -> dict[str, Any]:
    """Diff, statistics, rates and findings of one snapshot; names shown as in the text."""
    return {"format": FORMAT_VERSION, **_plain(report)}


def dumps(report: SnapshotReport) -> str:
    return json.dumps(report_to_json(report), ensure_ascii=False, separators=(",", ":"))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.metadata.get("export", True)
        }
        return {**fields, **_derived(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):  # a named tuple
        fields = {name: _plain(item) for name, item in value._asdict().items()}
        return {**fields, **_derived(value)}
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, str) and value.lower().startswith("tango://"):
        return short_name(value)
    return value


def _derived(value: Any) -> dict[str, Any]:
    """Properties a reader would otherwise recompute (last pushed counter, deltas)."""
    names = ("last_pushed", "delta", "went_back", "title", "ring_full", "events", "severity")
    return {
        name: _plain(getattr(value, name))
        for name in names
        if isinstance(getattr(type(value), name, None), property)
    }


def summary_to_json(log: FindingsLog) -> str:
    summary = {
        "snapshots": log.snapshots,
        "first_time": _plain(log.first_time),
        "last_time": _plain(log.last_time),
        "findings": [_plain(entry) for entry in log.entries],
        "not_judged": [_plain(item) for item in log.never_judged],
    }
    return json.dumps({"format": FORMAT_VERSION, "summary": summary}, ensure_ascii=False)
