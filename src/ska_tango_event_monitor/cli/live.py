"""Running the monitor: resolve, poll every period, report, record, clean up on exit."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from types import FrameType

from ska_tango_event_monitor.cli.common import (
    Environment,
    fail,
    final_status,
    session_for,
    writer_for,
)
from ska_tango_event_monitor.cli.exit_status import ExitStatus
from ska_tango_event_monitor.cli.rediscovery import Rediscovery
from ska_tango_event_monitor.core.session import ServerPoll, Snapshot, SnapshotReport
from ska_tango_event_monitor.core.titles import distinct_titles
from ska_tango_event_monitor.files import OutputFileError, check_writable
from ska_tango_event_monitor.outputs.top.screen import TopScreen
from ska_tango_event_monitor.outputs.writer import ReportWriter
from ska_tango_event_monitor.prometheus.export import MetricsExport
from ska_tango_event_monitor.recording import Recorder, RecordingError
from ska_tango_event_monitor.tango.discovery import ServerDiscovery
from ska_tango_event_monitor.tango.errors import (
    ConfigurationError,
    MonitorSetupError,
    UnknownDeviceError,
)
from ska_tango_event_monitor.tango.follow import PublisherFollower
from ska_tango_event_monitor.tango.monitor import Monitor
from ska_tango_event_monitor.tango.probe import EndpointProbe
from ska_tango_event_monitor.tango.resolve import DeviceResolver, MonitoredServer

# what signal.signal() takes and gives back (None: a handler set outside Python)
SignalHandler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None

_SETUP_STATUS = {
    ConfigurationError: ExitStatus.TANGO_SETUP,
    UnknownDeviceError: ExitStatus.UNKNOWN_DEVICE,
}


def run(options: argparse.Namespace, env: Environment) -> int:
    resolver = DeviceResolver()  # one identity per database and server, for all of them
    discovery = None if options.devices else ServerDiscovery(options.server, resolver)
    try:
        servers = discovery.first() if discovery else resolver.resolve(options.devices)
    except MonitorSetupError as error:
        return fail(env, str(error), _SETUP_STATUS.get(type(error), ExitStatus.ERROR))
    if options.list:
        return _list(env, servers)
    try:
        _check_outputs(options)  # all of them before any is opened and perf is switched on
        writer = writer_for(options, env)
        recorder = Recorder(options.output, options.append) if options.output else None
    except (RecordingError, OutputFileError) as error:
        return fail(env, str(error), ExitStatus.RECORDING_ERROR)
    try:
        export = (
            MetricsExport(options.prometheus, options.prometheus_textfile)
            if options.prometheus or options.prometheus_textfile
            else None
        )
    except Exception as error:  # PrometheusError, imported only when asked for
        if recorder is not None:
            recorder.close()
        return fail(env, str(error), _exporter_status(error))
    monitor = Monitor(servers, options.timeout, now=env.now)
    publishers = None if options.no_follow else PublisherFollower(resolver, servers)
    screen = TopScreen(env.stdout, env.stdin, env.stderr) if options.top else None
    # SIGTERM stops the loop as Ctrl-C does (and `q` with --top); during the clean-up both
    # are ignored, so that perf monitoring is always switched off again. The full screen is
    # left before the summary; warnings are held meanwhile and written when it is.
    loop_env = env if screen is None else replace(env, stderr=screen.messages)
    probe = None if options.no_probe or options.no_analysis else EndpointProbe()
    with (
        _sigterm_as_interrupt(),
        screen or contextlib.nullcontext(),
        probe or contextlib.nullcontext(),
    ):
        try:
            finders = (discovery, publishers)
            status = _polls(
                options, loop_env, monitor, recorder, writer, finders, export, screen, probe
            )
        except KeyboardInterrupt:
            status = None
        except RecordingError as error:
            status = fail(loop_env, str(error), ExitStatus.RECORDING_ERROR)
        finally:
            with _ignoring_interrupts():
                _switch_perf_off(loop_env, monitor)
                monitor.close()
                if recorder is not None:
                    recorder.close()
                if export is not None:
                    export.close()
    return final_status(writer, options, env) if status is None else status


def _polls(
    options: argparse.Namespace,
    env: Environment,
    monitor: Monitor,
    recorder: Recorder | None,
    writer: ReportWriter,
    finders: tuple[ServerDiscovery | None, PublisherFollower | None],
    export: MetricsExport | None,
    screen: TopScreen | None,
    probe: EndpointProbe | None,
) -> int | None:
    """None when done (--count reached), else the exit status of a failure."""
    session = session_for(options)
    if options.monitor:
        _switch_perf_on(env, monitor, [s.admin for s in monitor.servers])
    discovery, publishers = finders
    follower = None if discovery is None else Rediscovery(env, monitor, discovery, publishers)
    next_poll = time.monotonic()
    snapshots = 0
    while True:
        started = time.monotonic()
        if follower is not None:
            follower.before_poll()
        if monitor.servers:
            snapshot = monitor.poll()
            if probe is not None:  # what is known so far: the probe never holds a poll up
                snapshot = probe.attach(snapshot)
            if snapshots == 0 and monitor.unsupported and discovery is None:
                return fail(env, _unsupported_message(monitor), ExitStatus.UNSUPPORTED_SERVER)
            if recorder is not None:
                recorder.write(snapshot)
            report = session.update(snapshot)
            writer.write(report)
            snapshots += 1
            if publishers is not None and publishers.learn(snapshot):  # polled from the next
                monitor.set_servers(publishers.servers)
        else:  # the --server selection emptied: nothing to print or record while waiting
            snapshot = Snapshot(env.now(), ())
            report = SnapshotReport(snapshot.time, ())
        if screen is not None:
            screen.show(report)
        if export is not None:  # with no server, it shows none (not the last ones as up)
            try:
                export.update(snapshot, report)
            except Exception as error:  # a PrometheusError (imported only when asked for)
                return fail(env, str(error), _exporter_status(error))
        if options.count and snapshots >= options.count:
            return None
        if options.monitor:
            _switch_perf_on(env, monitor, monitor.admins_needing_perf(snapshot))
        pause = time.sleep if screen is None else screen.wait  # keys work while it waits
        next_poll = _wait_for_next_poll(env, options.polling_period, started, next_poll, pause)


def _wait_for_next_poll(
    env: Environment,
    period: float,
    started: float,
    scheduled: float,
    pause: Callable[[float], None] = time.sleep,
) -> float:
    took = time.monotonic() - started
    if took > period:
        _warn(env, f"the poll took {took:.1f} s, longer than the polling period of {period:g} s")
    next_poll = scheduled + period
    now = time.monotonic()
    if next_poll < now:  # fell behind: poll at once and keep the period from here
        return now
    pause(next_poll - now)
    return next_poll


def _exporter_status(error: Exception) -> ExitStatus:
    from ska_tango_event_monitor.prometheus.collector import PrometheusError, TextfileError

    if isinstance(error, TextfileError):
        return ExitStatus.RECORDING_ERROR
    if isinstance(error, PrometheusError):
        return ExitStatus.EXPORTER_ERROR
    raise error


def _check_outputs(options: argparse.Namespace) -> None:
    """Every output file, the same way: OutputFileError (exit 6) before the first poll."""
    for path, what, replaced in (
        (options.output, "recording", False),  # written in place
        (options.report, "report", True),  # renamed over: needs its folder writable
        (options.graph, "graph", True),
        (options.prometheus_textfile, "metrics textfile", True),
    ):
        if path is not None:
            check_writable(path, what, replaced=replaced)


def _list(env: Environment, servers: list[MonitoredServer]) -> int:
    polls = [ServerPoll(s.admin, s.devices, tango_host=s.tango_host) for s in servers]
    for title in distinct_titles(polls):  # as the section headers will read
        env.stdout.write(title + "\n")
    return ExitStatus.OK


def _switch_perf_on(env: Environment, monitor: Monitor, admins: list[str]) -> None:
    if admins:
        for admin, failure in monitor.set_perf_monitoring(True, admins).items():
            _warn(env, f"cannot switch performance monitoring on at {admin}: {failure}")


def _switch_perf_off(env: Environment, monitor: Monitor) -> None:
    if monitor.perf_enabled:
        for admin, failure in monitor.set_perf_monitoring(
            False, sorted(monitor.perf_enabled)
        ).items():
            _warn(env, f"cannot switch performance monitoring off at {admin}: {failure}")


def _unsupported_message(monitor: Monitor) -> str:
    servers = ", ".join(sorted(monitor.unsupported))
    return (
        f"no QueryEventSystem command at {servers}: "
        "the server runs Tango older than 10.1 (cppTango/pytango >= 10.1 is needed)"
    )


def _warn(env: Environment, message: str) -> None:
    env.stderr.write(f"warning: {message}\n")
    env.stderr.flush()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the monitor as Ctrl-C does, so that clean-up runs."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with _signal_handlers({signal.SIGTERM: interrupt}):
        yield


@contextlib.contextmanager
def _ignoring_interrupts() -> Iterator[None]:
    """A second Ctrl-C during clean-up must not leave perf monitoring switched on."""
    with _signal_handlers({signal.SIGINT: signal.SIG_IGN, signal.SIGTERM: signal.SIG_IGN}):
        yield


@contextlib.contextmanager
def _signal_handlers(handlers: Mapping[signal.Signals, SignalHandler]) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
