"""`python -m ska_tango_event_monitor`: the same as the `ska-tango-event-monitor` command."""

import sys

from ska_tango_event_monitor.cli import main

sys.exit(main())
