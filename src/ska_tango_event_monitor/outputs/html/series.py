"""A plotted line of the HTML report: a value at some snapshots, gaps where it has none."""

from __future__ import annotations

from dataclasses import dataclass, field

Point = tuple[int, float]  # (snapshot index, value)


@dataclass
class Series:
    """One plotted line: a value at some snapshots; a snapshot without one is a gap."""

    points: list[Point] = field(default_factory=list)

    def add(self, index: int, value: float) -> None:
        self.points.append((index, value))

    def value_at(self, index: int) -> float | None:
        return next((value for i, value in self.points if i == index), None)

    @property
    def peak(self) -> float:
        return max((value for _, value in self.points), default=0.0)

    @property
    def loudness(self) -> float:
        """How far from 0 the line went (0: it stayed at 0, or has no point)."""
        return max((abs(value) for _, value in self.points), default=0.0)
