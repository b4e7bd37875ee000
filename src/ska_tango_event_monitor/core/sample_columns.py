"""A reply's performance samples read into columns (`PublisherColumns`, `SubscriberColumns`).

A full ring is 256 samples per side and server: reading each field across all samples at
once (C-level `itemgetter`, `zip`) costs a fraction of making one object per sample. A
reply whose samples are not all of the expected form takes the slow path, sample by sample,
with the same conversions and errors as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from ska_tango_event_monitor.core.model import (
    PublisherColumns,
    PublisherSample,
    SubscriberColumns,
    SubscriberSample,
)


def _ints(column: tuple[Any, ...]) -> bool:
    # a sum of ints is an int: a float, a string or a null in the column is not (C speed)
    return type(sum(column)) is int


def _optional_ints(column: tuple[Any, ...]) -> bool:
    return type(sum(filter(None, column))) is int


def _strings(column: tuple[Any, ...]) -> bool:
    return all(type(value) is str for value in column)


def _bools(column: tuple[Any, ...]) -> bool:
    return all(type(value) is bool for value in column)


_PUBLISHER_TYPES = (_optional_ints, _ints)
_SUBSCRIBER_TYPES = (
    _strings,
    _optional_ints,
    _ints,
    _ints,
    _optional_ints,
    _ints,
    _ints,
    _bools,
)
_publisher_fields = itemgetter(*PublisherColumns._fields)
_subscriber_fields = itemgetter(*SubscriberColumns._fields)


def publisher_columns(side: Mapping[str, Any] | None) -> PublisherColumns | None:
    """The `server.perf` samples; None while perf monitoring is off (or no such side)."""
    if not side or side.get("perf") is None:
        return None
    perf = side["perf"]
    columns = _columns(perf, _publisher_fields, _PUBLISHER_TYPES)
    if columns is not None:
        return PublisherColumns(*columns)
    return PublisherColumns.of(_publisher_sample(sample) for sample in perf)


def subscriber_columns(side: Mapping[str, Any] | None) -> SubscriberColumns | None:
    """The `client.perf` samples; None while perf monitoring is off (or no such side)."""
    if not side or side.get("perf") is None:
        return None
    perf = side["perf"]
    columns = _columns(perf, _subscriber_fields, _SUBSCRIBER_TYPES)
    if columns is not None:
        return SubscriberColumns(*columns)
    return SubscriberColumns.of(_subscriber_sample(sample) for sample in perf)


def _columns(
    perf: Any, fields: itemgetter[Any], types: Sequence[Callable[[tuple[Any, ...]], bool]]
) -> list[tuple[Any, ...]] | None:
    """Each field across all samples, or None when some sample lacks a field or has a
    value of another type (the slow path converts or refuses it)."""
    if not isinstance(perf, list) or not all(type(s) is dict for s in perf):
        return None
    try:
        rows = list(map(fields, perf))
    except KeyError:
        return None
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(types)
    typed = zip(columns, types, strict=True)
    return columns if all(is_typed(column) for column, is_typed in typed) else None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _publisher_sample(sample: Mapping[str, Any]) -> PublisherSample:
    return PublisherSample(
        micros_since_last_event=_optional_int(sample.get("micros_since_last_event")),
        push_event_micros=int(sample["push_event_micros"]),
    )


def _subscriber_sample(sample: Mapping[str, Any]) -> SubscriberSample:
    return SubscriberSample(
        attr_name=str(sample.get("attr_name", "")),
        micros_since_last_event=_optional_int(sample.get("micros_since_last_event")),
        sleep_micros=int(sample["sleep_micros"]),
        process_micros=int(sample["process_micros"]),
        first_callback_latency_micros=_optional_int(sample.get("first_callback_latency_micros")),
        callback_count=int(sample["callback_count"]),
        wake_count=int(sample["wake_count"]),
        discarded=bool(sample.get("discarded", False)),
    )
