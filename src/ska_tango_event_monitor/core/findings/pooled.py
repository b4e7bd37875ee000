"""The subscriber samples of one poll as arrays, made once when the poll enters a window,
and the order statistics the rules take from them.

A window pools up to `span / period` polls (30 at 1 s): sorting the pooled samples of
every poll again at every snapshot would cost more than all the rest of the analysis. Each
poll's processed samples are read once into arrays; a rule concatenates them and selects
only the order statistics it shows. The numbers are those of the sorted lists: the same
elements, the same interpolation (`statistics.percentile`), the same medians as
`statistics.median`, as Python numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy
import numpy.typing as npt

from ska_tango_event_monitor.core.model import EventSystemState

Array = npt.NDArray[numpy.float64] | npt.NDArray[numpy.int64]


class PollSamples(NamedTuple):
    """A poll's processed (not discarded) subscriber samples, as the rules pool them."""

    latency_s: npt.NDArray[numpy.float64]  # first-callback latencies, the null ones left out
    wakes: npt.NDArray[numpy.int64]
    sleep_micros: int  # summed
    processed: int  # samples
    latency_median: float | None  # the poll's own, as `statistics.median` (None: no latency)


def poll_samples(state: EventSystemState) -> PollSamples | None:
    columns = state.processed_columns
    if columns is None:
        return None
    latencies = [v for v in columns.first_callback_latency_micros if v is not None]
    # int to float is exact below 2**53 and the division is IEEE: as `v / 1e6`
    latency_s = numpy.array(latencies, dtype=numpy.float64) / 1e6
    return PollSamples(
        latency_s,
        numpy.array(columns.wake_count, dtype=numpy.int64),
        sum(columns.sleep_micros),
        columns.sample_count,
        median(latency_s) if latencies else None,
    )


def pooled_latencies(polls: Sequence[PollSamples]) -> npt.NDArray[numpy.float64]:
    return numpy.concatenate([p.latency_s for p in polls]) if polls else numpy.empty(0)


def pooled_wakes(polls: Sequence[PollSamples]) -> npt.NDArray[numpy.int64]:
    if not polls:
        return numpy.empty(0, dtype=numpy.int64)
    return numpy.concatenate([p.wakes for p in polls])


def median(values: Array) -> float:
    """`statistics.median` of the values: the middle one, or the mean of the two middle."""
    middle = len(values) // 2
    if len(values) % 2:
        return numpy.partition(values, middle)[middle].item()  # type: ignore[no-any-return]
    low, high = numpy.partition(values, (middle - 1, middle))[middle - 1 : middle + 1].tolist()
    return (low + high) / 2  # type: ignore[no-any-return]


def percentile(values: Array, p: float) -> float:
    """`statistics.percentile` of the sorted values, from the two order statistics it uses."""
    rank = (len(values) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    selected = numpy.partition(values, (low, high))
    below, above = selected[low].item(), selected[high].item()
    return below + (above - below) * (rank - low)  # type: ignore[no-any-return]


def maximum(values: Array) -> float:
    return values.max().item()  # type: ignore[no-any-return]
