"""Chart geometry, in SVG user units (the chart scales to its column), and the mapping of
values and snapshots to it."""

from __future__ import annotations

from dataclasses import dataclass

from ska_tango_event_monitor.outputs.html.time_axis import TimeAxis

WIDTH, HEIGHT = 640, 236
LEFT, RIGHT, TOP, BOTTOM = 60, 18, 12, 50
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Frame:
    """Values and snapshots to SVG coordinates."""

    axis: TimeAxis
    top: float  # value at the top of the plot

    def x(self, index: int) -> float:
        return LEFT + self.axis.fraction(index) * PLOT_WIDTH

    def y(self, value: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - value / self.top)
