"""Joining the two names of one event stream: `X.change` at the publisher, `X.idl5_change`
at the subscriber (the ZMQ topic), with or without `tango://host:port/` and `#dbase=no`."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

from ska_tango_event_monitor.core.names import short_name

# `idl5_` is the subscriber's wire-format prefix; cppTango's keep-alive retry of a
# subscription that could not be made adds it again (`idl5_idl5_change`): one stream
_WIRE_PREFIX = re.compile(r"^(?:idl5_)+")


@functools.lru_cache(maxsize=65536)  # the same few names come back every poll
def stream_key(name: str) -> str:
    """The same key for a publisher stream and the subscriber topics of that stream."""
    base, _, event_type = short_name(name).rpartition(".")
    return f"{base.lower()}.{_WIRE_PREFIX.sub('', event_type)}"


@functools.lru_cache(maxsize=65536)
def attribute_name(name: str) -> str:
    """`foo/bar/hw/position` of `tango://h:1/foo/bar/hw/position.idl5_change`."""
    return short_name(name).rpartition(".")[0]


def host_of(name: str) -> str | None:
    """`h` of `tango://h:1/...`, None without a prefix."""
    if not name.lower().startswith("tango://"):
        return None
    return name[len("tango://") :].split("/", 1)[0].rsplit(":", 1)[0]


def is_loopback(host: str) -> bool:
    return host.startswith("127.") or host in ("localhost", "::1", "[::1]")


Database = tuple[str, int]  # a Tango database (or a server without one) as (host, port)


def database_of(name: str) -> Database | None:
    """(`h`, 1) of `tango://H:1/...` (host in lower case); None without a prefix or a port."""
    if not name.lower().startswith("tango://"):
        return None
    host, _, port = name[len("tango://") :].split("/", 1)[0].rpartition(":")
    return (host.lower(), int(port)) if host and port.isdigit() else None


def database_text(address: str) -> Database | None:
    """(`h`, 1) of `h:1` (a poll's `tango_host`)."""
    return database_of(f"tango://{address}/")


def same_machine(one: str, other: str, local: Iterable[str] = ()) -> bool:
    """Whether two spellings of a host name one machine, without asking a name service (the
    core does no I/O): the same name, both this machine (loopback, or a name in `local`),
    or a short name and its fully qualified name (`ctl01`, `ctl01.example.org`)."""
    if one == other:
        return True
    names = set(local)
    if (is_loopback(one) or one in names) and (is_loopback(other) or other in names):
        return True
    short, long = sorted((one, other), key=len)
    return "." not in short and long.startswith(f"{short}.")


# cppTango cuts the attribute name of a sample to 31 characters
_SAMPLE_NAME_LENGTH = 31


@functools.lru_cache(maxsize=65536)
def _attribute(name: str) -> str:
    """`position` of `tango://h:1/foo/bar/hw/Position.idl5_change`, lower case."""
    return stream_key(name).rpartition(".")[0].rpartition("/")[2]


def same_attribute(name: str, sampled: str) -> bool:
    """Whether a stream or topic is of the attribute a performance sample names (`attr_name`:
    the attribute alone, without its device, cut to 31 characters)."""
    attribute = _attribute(name)
    if len(sampled) >= _SAMPLE_NAME_LENGTH:
        return attribute.startswith(sampled.lower())
    return attribute == sampled.lower()


def attribute_counts(names: Iterable[str]) -> Counter[str]:
    """How many of these streams or topics each attribute name has (for `sampled_streams`)."""
    return Counter(map(_attribute, names))


def sampled_streams(counts: Counter[str], sampled: str) -> int:
    """How many of the counted streams `same_attribute` gives for a sample's `attr_name`."""
    if len(sampled) >= _SAMPLE_NAME_LENGTH:
        prefix = sampled.lower()
        return sum(n for attribute, n in counts.items() if attribute.startswith(prefix))
    return counts.get(sampled.lower(), 0)
