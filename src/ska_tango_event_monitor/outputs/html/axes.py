"""The axes of a chart: a value grid with round ticks, and the time grid under it."""

from __future__ import annotations

import math
from html import escape

from ska_tango_event_monitor.outputs.html.frame import (
    HEIGHT,
    LEFT,
    PLOT_HEIGHT,
    PLOT_WIDTH,
    RIGHT,
    TOP,
    WIDTH,
    Frame,
)

TIME_TICKS = 7  # at most, on a chart's time axis


def value_ticks(peak: float) -> tuple[float, list[float]]:
    """A round top above `peak` and 3 to 6 ticks from 0 to it."""
    if peak <= 0:
        return 1.0, [0.0, 0.5, 1.0]
    raw = peak / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * 0.999)
    count = math.ceil(peak / step - 1e-9)
    return step * count, [step * i for i in range(count + 1)]


def _number(value: float, step: float) -> str:
    decimals = next((d for d in range(7) if abs(round(step, d) - step) < 1e-9 * step), 6)
    return f"{value:.{decimals}f}"


def value_grid(frame: Frame, ticks: list[float], unit: str) -> list[str]:
    step = ticks[1] - ticks[0]
    parts = []
    for value in ticks:
        y = frame.y(value)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value, step)}</text>"
        )
    middle = TOP + PLOT_HEIGHT / 2
    parts.append(
        f'<text class="axis-title" transform="translate(16 {middle:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(unit)}</text>'
    )
    return parts


def time_grid(frame: Frame) -> list[str]:
    bottom = TOP + PLOT_HEIGHT
    parts = [
        f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}"/>',
        f'<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}"/>',
    ]
    for fraction, text in frame.axis.ticks(TIME_TICKS):
        x = LEFT + fraction * PLOT_WIDTH
        parts += [
            f'<line class="grid minor" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}"/>',
            f'<line class="axis" x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}"/>',
            f'<text class="tick" x="{x:.1f}" y="{bottom + 24}" text-anchor="middle">{text}</text>',
        ]
    parts.append(
        f'<text class="axis-title" x="{LEFT + PLOT_WIDTH / 2:.1f}" y="{HEIGHT - 6}" '
        'text-anchor="middle">time</text>'
    )
    return parts
