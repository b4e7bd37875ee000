"""Run a Tango database and device servers as local processes, bound to loopback.

An adapter for the tutorial runner and the integration tests: the monitor's core never
imports it. Everything here uses plain subprocesses, no Docker:

- :class:`LocalTangoDatabase` runs pytango's sqlite database server
  (``python -m tango.databaseds.database``) on 127.0.0.1 and a free port, in memory or
  in a given file, and registers devices (:class:`DeviceRegistration`) in it.
- :class:`DeviceServerProcess` runs one device server, bound to loopback with
  ``-ORBendPoint giop:tcp:127.0.0.1:0``, in its own session (a Ctrl-C in the terminal does
  not reach it), with its output in a log file; it can wait until its devices answer,
  be paused/resumed (SIGSTOP/SIGCONT) and stopped (SIGTERM, then SIGKILL).
- :class:`ProcessRecord` remembers a process by PID *and* identity (start time and command
  line), so that a later command can stop it without ever signalling a recycled PID.

Failures raise :class:`LocalTangoError` (or :class:`ProcessFailedError` when a process died,
with the tail of its log).
"""

from ska_tango_event_monitor.local_tango.database import LocalTangoDatabase
from ska_tango_event_monitor.local_tango.device_server import DeviceServerProcess
from ska_tango_event_monitor.local_tango.errors import LocalTangoError, ProcessFailedError
from ska_tango_event_monitor.local_tango.logs import log_tail
from ska_tango_event_monitor.local_tango.ports import LOOPBACK, free_port
from ska_tango_event_monitor.local_tango.process_record import ProcessRecord
from ska_tango_event_monitor.local_tango.registration import DeviceRegistration

__all__ = [
    "LOOPBACK",
    "DeviceRegistration",
    "DeviceServerProcess",
    "LocalTangoDatabase",
    "LocalTangoError",
    "ProcessFailedError",
    "ProcessRecord",
    "free_port",
    "log_tail",
]
