"""A ``tango.DevFailed`` as one line of text."""

from __future__ import annotations

import tango


def devfailed_desc(exc: tango.DevFailed) -> str:
    """The description of the first (innermost) error, on one line."""
    if not exc.args:
        return str(exc)
    return " ".join(str(getattr(exc.args[0], "desc", exc.args[0])).split())


def devfailed_text(exc: tango.DevFailed) -> str:
    """``reason: description`` of the first (innermost) error, on one line."""
    if not exc.args:
        return str(exc)
    reason = getattr(exc.args[0], "reason", "")
    desc = devfailed_desc(exc)
    return f"{reason}: {desc}" if reason else desc
