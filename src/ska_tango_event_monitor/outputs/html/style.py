"""The look of the HTML report: colours, the style sheet and the page around the sections."""

from __future__ import annotations

from ska_tango_event_monitor.core.findings import Severity

# Distinct hues that stay readable on white; the same attribute keeps its colour.
PALETTE = (
    "#2563eb",
    "#ea580c",
    "#059669",
    "#9333ea",
    "#0891b2",
    "#db2777",
    "#854d0e",
    "#4d7c0f",
    "#475569",
)
SEVERITY_COLOURS = {  # text/marker, row background
    Severity.ERROR: ("#c81e1e", "#fdeaea"),
    Severity.WARNING: ("#b45309", "#fef3e2"),
    Severity.INFO: ("#1d4ed8", "#e8effc"),
}

CSS = """
:root { color-scheme: light; }
body { margin: 0; padding: 24px 32px; background: #f4f6f9; color: #1f2933;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 2px; }
.meta { margin: 0 0 6px; color: #52606d; }
.guide { margin: 0 0 16px; color: #52606d; font-size: 13px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 8px;
  padding: 16px 20px; margin: 0 0 20px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr));
  gap: 18px 28px; margin-top: 10px; }
figure.chart { margin: 0; }
figcaption { font-weight: 600; margin: 0 0 2px; }
.unit { font-weight: 400; color: #52606d; }
svg.plot { display: block; width: 100%; height: auto; }
svg text { fill: #3e4c59; font-family: inherit; }
svg .tick { font-size: 12px; }
svg .axis-title { font-size: 12px; font-style: italic; }
svg .grid { stroke: #e4e7eb; stroke-width: 1; }
svg .grid.minor { stroke: #f0f2f5; }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .series { fill: none; stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
svg circle { stroke-width: 1.6; }
svg .no-reply { fill: #cbd2d9; fill-opacity: 0.45; }
.legend { list-style: none; margin: 2px 0 0 40px; padding: 0; display: flex;
  flex-wrap: wrap; gap: 2px 18px; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; height: 10px; }
.swatch.no-reply { background: #cbd2d9; opacity: 0.8; }
.tri { font-size: 11px; }
.legend .pin { font-size: 13px; }
svg .pin { stroke: #1f2933; stroke-width: 1.2; }
.note, .empty { color: #52606d; font-style: italic; margin: 4px 0 0; }
table.findings { border-collapse: collapse; width: 100%; margin-top: 8px; }
details.connections { margin-top: 8px; color: #52606d; }
details.connections table { border-collapse: collapse; margin: 6px 0; }
details.connections td, details.connections th { padding: 2px 10px 2px 0; text-align: left; }
table.findings th { text-align: left; font-weight: 600; color: #52606d;
  border-bottom: 2px solid #dde3ea; padding: 4px 8px; vertical-align: bottom; }
table.findings td { padding: 6px 8px; border-bottom: 1px solid #fff; vertical-align: top; }
.stream { color: #52606d; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 4px; color: #fff;
  font-size: 12px; font-weight: 700; letter-spacing: 0.03em; }
th.when, td:last-child { width: 280px; }
table.findings td:nth-child(5) { white-space: nowrap; }
svg.strip { display: block; width: 280px; height: auto; }
.graph-picture { overflow-x: auto; margin-top: 8px; }
svg.graph { display: block; margin: 0 auto; }
svg.graph .stream { fill: none; stroke-width: 2; }
svg.graph .server rect, svg.graph .server circle { fill: #fff; stroke: #52606d;
  stroke-width: 1.4; }
svg.graph .server.no-reply rect, svg.graph .server.no-reply circle { fill: #fdeaea; }
svg.graph .server.not-monitored rect, svg.graph .server.not-monitored circle {
  fill: #f4f6f9; stroke: #8a96a3; }
svg.graph .name { font-size: 13px; font-weight: 600; text-anchor: middle; }
svg.graph .server.not-monitored .name, svg.graph .note { fill: #52606d; }
svg.graph .note { font-size: 11px; font-style: italic; text-anchor: middle; }
svg.graph .edge-label { font-size: 11px; text-anchor: middle; paint-order: stroke;
  stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
details.streams { margin-top: 8px; }
table.streams { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
table.streams th, table.streams td { padding: 2px 12px 2px 0; text-align: left; }
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
{body}
<footer class="meta">Made by ska-tango-event-monitor --report.</footer>
</body>
</html>
"""
