"""The findings table of the HTML report: one row per finding, with a strip of when it was seen."""

from __future__ import annotations

from html import escape

from ska_tango_event_monitor.core.findings import Severity
from ska_tango_event_monitor.core.findings_log import FindingsLog, RecurringFinding
from ska_tango_event_monitor.core.names import short_name
from ska_tango_event_monitor.outputs.html.history import FindingMark, ReportHistory
from ska_tango_event_monitor.outputs.html.style import SEVERITY_COLOURS
from ska_tango_event_monitor.outputs.html.time_axis import TimeAxis

# The "when" column, in SVG user units.
_STRIP_W, _STRIP_H = 260, 20
_STRIP_TICKS = 4  # at most, on the strip's time axis
_HEADINGS = ("Severity", "Finding", "Where", "Evidence (worst seen)", "Seen")


def badge(severity: Severity) -> str:
    colour = SEVERITY_COLOURS[severity][0]
    return f'<span class="badge" style="background:{colour}">{severity}</span>'


def findings_section(history: ReportHistory, log: FindingsLog, axis: TimeAxis | None) -> str:
    if not log.entries:
        text = (
            f"None: nothing unusual was seen in {log.snapshots} snapshot(s)."
            if history.analysed or log.snapshots
            else "No findings: the run was not analysed."
        )
        return f'<section class="findings"><h2>Findings</h2><p class="empty">{text}</p></section>'
    by_key: dict[tuple[str, str, str | None], list[FindingMark]] = {}
    for mark in history.marks:
        by_key.setdefault(mark.key, []).append(mark)
    head = "".join(f"<th>{h}</th>" for h in _HEADINGS)
    when = _strip_axis(axis) if axis else ""
    rows = "".join(_finding_row(e, by_key.get(_key(e), []), axis) for e in log.entries)
    return (
        f'<section class="findings"><h2>Findings</h2>'
        f'<table class="findings"><thead><tr>{head}<th class="when">When{when}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _key(entry: RecurringFinding) -> tuple[str, str, str | None]:
    return (entry.last.kind, entry.last.server, entry.last.stream)


def _finding_row(entry: RecurringFinding, marks: list[FindingMark], axis: TimeAxis | None) -> str:
    finding = entry.worst
    where = escape(short_name(finding.server))
    if finding.stream:
        where += f'<br><span class="stream">{escape(finding.stream)}</span>'
    seen = f"{entry.snapshots}×, {entry.first_time:%H:%M:%S}" + (
        f"–{entry.last_time:%H:%M:%S}" if entry.last_time != entry.first_time else ""
    )
    cells = [
        badge(entry.severity),
        escape(finding.kind),
        where,
        escape(finding.message),
        seen,
        _strip(axis, marks) if axis else "",
    ]
    tds = "".join(f"<td>{cell}</td>" for cell in cells)
    return f'<tr style="background:{SEVERITY_COLOURS[entry.severity][1]}">{tds}</tr>'


def _strip_axis(axis: TimeAxis) -> str:
    labels = "".join(
        f'<text class="tick" x="{f * _STRIP_W:.1f}" y="14" text-anchor="middle">{t}</text>'
        for f, t in axis.ticks(_STRIP_TICKS)
    )
    return f'<svg class="strip" viewBox="-30 0 {_STRIP_W + 60} 18">{labels}</svg>'


def _strip(axis: TimeAxis, marks: list[FindingMark]) -> str:
    """The snapshots at which one finding was raised, on the run's time axis."""
    grid = "".join(
        f'<line class="grid" x1="{f * _STRIP_W:.1f}" y1="0" x2="{f * _STRIP_W:.1f}" '
        f'y2="{_STRIP_H}"/>'
        for f, _ in axis.ticks(_STRIP_TICKS)
    )
    dots = "".join(
        f'<rect x="{axis.fraction(m.index) * _STRIP_W - 3:.1f}" y="4" width="6" height="12" '
        f'rx="1.5" fill="{SEVERITY_COLOURS[m.severity][0]}">'
        f"<title>{axis.time_text(m.index)} {m.severity}</title></rect>"
        for m in marks
    )
    baseline = (
        f'<line class="axis" x1="0" y1="{_STRIP_H - 2}" x2="{_STRIP_W}" y2="{_STRIP_H - 2}"/>'
    )
    return (
        f'<svg class="strip" viewBox="-30 0 {_STRIP_W + 60} {_STRIP_H}">'
        f"{grid}{baseline}{dots}</svg>"
    )
