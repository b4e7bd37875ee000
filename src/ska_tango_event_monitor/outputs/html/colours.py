"""Colours of the lines of the HTML report: the same attribute keeps its colour."""

from __future__ import annotations

from collections.abc import Sequence

from ska_tango_event_monitor.outputs.html.style import PALETTE


class Colours:
    """One colour per attribute in every chart (a stream's events and its processing time),
    another when two lines of one chart would share it."""

    def __init__(self) -> None:
        self._by_attribute: dict[str, str] = {}

    def pick(self, keys: Sequence[str]) -> list[str]:
        """For stream keys (`foo/bar/hw/position.change`) or attribute names (`position`)."""
        picked: list[str] = []
        for key in keys:
            colour = self._colour(key.partition(".")[0].lower())
            if colour in picked:
                colour = next((c for c in PALETTE if c not in picked), colour)
            picked.append(colour)
        return picked

    def _colour(self, attribute: str) -> str:
        if "/" not in attribute:  # a bare name: the colour of the one attribute so named
            named = [a for a in self._by_attribute if a.rpartition("/")[2] == attribute]
            attribute = named[0] if len(named) == 1 else attribute
        if attribute not in self._by_attribute:
            self._by_attribute[attribute] = PALETTE[len(self._by_attribute) % len(PALETTE)]
        return self._by_attribute[attribute]
