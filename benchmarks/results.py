"""What a benchmark reports: figures printed as they come, and targets checked at the end."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO


@dataclass(frozen=True)
class Target:
    """A measured value against its limit (`<=` unless `at_least`)."""

    benchmark: str
    name: str
    measured: float
    limit: float
    unit: str
    at_least: bool = False

    @property
    def met(self) -> bool:
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    def line(self) -> str:
        sign = ">=" if self.at_least else "<="
        verdict = "met" if self.met else "NOT MET"
        return (
            f"TARGET [{self.benchmark}] {self.name}: {_number(self.measured)} {self.unit} "
            f"(target {sign} {_number(self.limit)} {self.unit}) {verdict}"
        )


@dataclass(frozen=True)
class FloorRow:
    """One row of the table against the floor: what the work is, the floor's figure and ours
    (measured side by side, in one run), and the target on their ratio or on our figure."""

    work: str
    floor: str
    ours: str
    target: Target


@dataclass
class Report:
    """Lines go to `out` at once; targets and explanations are kept for the summary."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    floor_rows: list[FloorRow] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.say("", f"== {title} " + "=" * max(0, 96 - len(title)))

    def say(self, *lines: str) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        cells = [[str(h) for h in header], *[[_cell(v) for v in row] for row in rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        for row in cells:
            self.say("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))

    def target(self, target: Target) -> Target:
        self.targets.append(target)
        self.say(target.line())
        return target

    def against_floor(self, row: FloorRow) -> Target:
        """A target of the table against the floor, printed now and again in the summary."""
        self.floor_rows.append(row)
        return self.target(row.target)

    def note(self, text: str) -> None:
        """An explanation (e.g. of a target not met), repeated in the summary."""
        self.notes.append(text)
        self.say(f"NOTE: {text}")

    def summary(self) -> None:
        met = sum(t.met for t in self.targets)
        self.section(f"Summary: {met} of {len(self.targets)} targets met")
        if self.floor_rows:
            self.say("  against the floor (orjson.loads of the same input, in the same run):")
            self.table(
                ["work", "floor", "ours", "measured", "target", ""],
                [_floor_cells(row) for row in self.floor_rows],
            )
            self.say("")
        self.say(*(t.line() for t in self.targets))
        if self.notes:
            self.say("", *(f"NOTE: {n}" for n in self.notes))


def _floor_cells(row: FloorRow) -> list[str]:
    target = row.target
    sign = ">=" if target.at_least else "<="
    return [
        row.work,
        row.floor,
        row.ours,
        f"{_number(target.measured)} {target.unit}",
        f"{sign} {_number(target.limit)} {target.unit}",
        "met" if target.met else "NOT MET",
    ]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> float:
    return seconds * 1e3


def _number(value: float) -> str:
    if value != value:  # nan
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def _cell(value: object) -> str:
    return _number(value) if isinstance(value, float) else str(value)
