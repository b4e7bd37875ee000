"""The subcommands of ``ska-tango-event-monitor-tutorial``, one module each.

Each takes plain values (no argparse), prints on stdout, raises TutorialError (or a
LocalTangoError) on failure and returns the exit status.
"""
