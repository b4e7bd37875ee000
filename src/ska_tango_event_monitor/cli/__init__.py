"""`ska-tango-event-monitor`: the command line, at the edge of everything else."""

from ska_tango_event_monitor.cli.main import (
    EPILOG,
    PROG,
    Environment,
    build_parser,
    main,
    parse_args,
)

__all__ = ["EPILOG", "PROG", "Environment", "build_parser", "main", "parse_args"]
