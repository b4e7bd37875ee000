"""Exit codes of `ska-tango-event-monitor` (documented in the README)."""

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0  # finished: --count reached, or stopped with Ctrl-C / SIGTERM
    ERROR = 1  # an unexpected failure while monitoring
    USAGE = 2  # bad command line: malformed option or value
    TANGO_SETUP = 3  # TANGO_HOST not set, or the Tango database cannot be reached
    UNKNOWN_DEVICE = 4  # unknown device, alias or admin device, malformed name, or a
    # --server/--all selection that matches no running server at start
    UNSUPPORTED_SERVER = 5  # a server without QueryEventSystem (Tango < 10.1)
    RECORDING_ERROR = 6  # an output (recording, report, metrics textfile) cannot be written,
    # or the recording cannot be read (corrupt...)
    FINDINGS = 7  # --fail-on: a finding at or above the given severity was raised
    EXPORTER_ERROR = 8  # --prometheus: no prometheus_client, bad address or port in use
