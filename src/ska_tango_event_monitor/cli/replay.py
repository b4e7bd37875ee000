"""`--replay FILE`: the same report, findings and summary from a recording."""

from __future__ import annotations

import argparse

from ska_tango_event_monitor.cli.common import (
    Environment,
    fail,
    final_status,
    session_for,
    writer_for,
)
from ska_tango_event_monitor.cli.exit_status import ExitStatus
from ska_tango_event_monitor.outputs.writer import ReportFileError
from ska_tango_event_monitor.recording import RecordingError, read_recording


def replay(options: argparse.Namespace, env: Environment) -> int:
    try:
        session, writer = session_for(options), writer_for(options, env)
        for number, snapshot in enumerate(read_recording(options.replay), start=1):
            writer.write(session.update(snapshot))
            if number == options.count:
                break
    except (RecordingError, ReportFileError) as error:
        return fail(env, str(error), ExitStatus.RECORDING_ERROR)
    return final_status(writer, options, env)
