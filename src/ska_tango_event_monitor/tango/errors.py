"""Why monitoring cannot start, and any failure (a `DevFailed` above all) as one line."""

from __future__ import annotations

import re

import tango


class MonitorSetupError(Exception):
    """Why monitoring cannot start; the message is one line for the user."""


class ConfigurationError(MonitorSetupError):
    """No TANGO_HOST, or the Tango database cannot be reached."""


class UnknownDeviceError(MonitorSetupError):
    """A name the Tango database (or the device) does not know."""


class UnsupportedServerError(MonitorSetupError):
    """A server without QueryEventSystem (cppTango older than 10.1)."""


def describe_failure(error: BaseException, *, with_reason: bool = True) -> str:
    """One line for any failure; for DevFailed the first error's reason and description
    (its description alone without `with_reason`: a Python device's error names its own
    exception there, e.g. `RuntimeError: Timeout waiting for Mode.IDLE`)."""
    if isinstance(error, tango.DevFailed) and error.args:
        first = error.args[0]
        text = f"{first.reason}: {first.desc}" if with_reason else str(first.desc)
    else:
        text = f"{type(error).__name__}: {error}"
    return re.sub(r"\s+", " ", text).strip()


def failure_reason(error: BaseException) -> str | None:
    """The first error's reason of a DevFailed (`API_CommandNotFound`...), else None."""
    if isinstance(error, tango.DevFailed) and error.args:
        return str(error.args[0].reason)
    return None
