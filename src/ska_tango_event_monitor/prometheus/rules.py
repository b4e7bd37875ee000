"""The Prometheus recording and alerting rules shipped with the package (`rules.yaml`).

`python -m ska_tango_event_monitor.prometheus.rules > tango-event-rules.yaml` writes them
out, for the `rule_files:` of a Prometheus configuration.
"""

from __future__ import annotations

import sys
from importlib.resources import files

PACKAGE = "ska_tango_event_monitor.prometheus"  # not __name__: "__main__" under `python -m`
RULES_FILE = "rules.yaml"


def rules_text() -> str:
    """The rules file as installed with the package."""
    return files(PACKAGE).joinpath(RULES_FILE).read_text(encoding="utf-8")


def main() -> int:
    sys.stdout.write(rules_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
