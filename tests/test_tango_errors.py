"""One line for a failure: DevFailed raised by pytango itself, and any other exception."""

from __future__ import annotations

import tango

from ska_tango_event_monitor.tango.admin import is_unsupported
from ska_tango_event_monitor.tango.errors import describe_failure, failure_reason


def devfailed(reason: str, desc: str) -> tango.DevFailed:
    try:
        tango.Except.throw_exception(reason, desc, "test origin")
    except tango.DevFailed as error:
        return error
    raise AssertionError("throw_exception did not raise")


def test_a_devfailed_is_its_first_reason_and_description_on_one_line() -> None:
    error = devfailed("API_CantConnectToDevice", "Failed to connect\n  to device foo/bar/hw ")
    assert (
        describe_failure(error)
        == "API_CantConnectToDevice: Failed to connect to device foo/bar/hw"
    )


def test_without_reason_a_devfailed_is_its_description_alone() -> None:
    error = devfailed("PyDs_PythonError", "RuntimeError: Timeout waiting for Mode.IDLE\n")
    assert describe_failure(error, with_reason=False) == (
        "RuntimeError: Timeout waiting for Mode.IDLE"
    )


def test_any_other_failure_is_its_type_and_message() -> None:
    assert describe_failure(ValueError("bad\treply")) == "ValueError: bad reply"
    assert describe_failure(TimeoutError(), with_reason=False) == "TimeoutError:"


def test_the_reason_tells_a_server_without_the_event_system_commands() -> None:
    missing = devfailed("API_CommandNotFound", "Command QueryEventSystem not found")
    assert failure_reason(missing) == "API_CommandNotFound"
    assert is_unsupported(missing)
    assert not is_unsupported(devfailed("API_DeviceTimedOut", "Timeout (3000 mS)"))
    assert failure_reason(ValueError("no reason")) is None
