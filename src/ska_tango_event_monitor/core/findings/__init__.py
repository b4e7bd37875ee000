"""Findings: the reasoning the tutorial does by eye, as rules over consecutive snapshots.

Pure: the `Analyser` sees the good replies of all monitored servers at one snapshot (with
the reply before each) and remembers only what its rules need from earlier snapshots. The
rules are grouped by what they look at: the flow between servers (`backlog`), a
subscriber's event thread (`event_thread`), the performance samples (`samples`) and one
server's reply and its change (`state`).
"""

from ska_tango_event_monitor.core.findings.analyser import Analyser
from ska_tango_event_monitor.core.findings.judged import Unjudged
from ska_tango_event_monitor.core.findings.model import Analysis, Finding, Severity, Thresholds

__all__ = ["Analyser", "Analysis", "Finding", "Severity", "Thresholds", "Unjudged"]
