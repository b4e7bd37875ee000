"""Recordings: one JSON object per poll and line; `.gz`, `.bz2`, `.xz` compress.

Every line reaches the disk as it is written, so a crash loses at most the line being
written. gzip is sync-flushed after each line (one stream, good compression); bz2 and xz
cannot flush mid-stream, so each line is its own compressed stream (readers of multi-stream
files, like ours and `xzcat`/`bzcat`, read them as one).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import json
import lzma
import os
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

import msgspec
import orjson

from ska_tango_event_monitor.core.endpoints import EndpointCheck
from ska_tango_event_monitor.core.endpoints import from_json as endpoints_from_json
from ska_tango_event_monitor.core.endpoints import to_json as endpoints_to_json
from ska_tango_event_monitor.core.parse import SUPPORTED_VERSION
from ska_tango_event_monitor.core.session import ServerPoll, Snapshot
from ska_tango_event_monitor.core.typed_reply import typed_state
from ska_tango_event_monitor.files import cannot_write

RECORDING_VERSION = 1
_STREAM_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    ".bz2": bz2.compress,
    ".xz": lzma.compress,
}


class RecordingError(Exception):
    """A recording that cannot be written or read; the message is one line."""


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "recording": RECORDING_VERSION,
        "time": snapshot.time.isoformat(timespec="microseconds"),
        "servers": [_poll_to_json(poll) for poll in snapshot.polls],
    }


def snapshot_line(snapshot: Snapshot) -> str:
    """One line of the recording; a reply received as text is written as it came (valid
    JSON already), not decoded and encoded again."""
    head = {
        "recording": RECORDING_VERSION,
        "time": snapshot.time.isoformat(timespec="microseconds"),
    }
    polls = ",".join(_poll_line(poll) for poll in snapshot.polls)
    return _dumps(head)[:-1] + ',"servers":[' + polls + "]}\n"


def _poll_line(poll: ServerPoll) -> str:
    text = poll.text
    if poll.reply is None or text is None or "\n" in text or "\r" in text:
        return _dumps(_poll_to_json(poll))  # one line per poll: no raw line breaks
    entry = _poll_to_json(poll)
    del entry["reply"]
    return _dumps(entry)[:-1] + ',"reply":' + text.strip() + "}"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _poll_to_json(poll: ServerPoll) -> dict[str, Any]:
    entry: dict[str, Any] = {"admin": poll.admin, "devices": list(poll.devices)}
    if poll.duration_s is not None:
        entry["duration_s"] = round(poll.duration_s, 6)
    if poll.endpoints is not None:  # before the reply: _poll_line appends the reply last
        entry["endpoints"] = endpoints_to_json(poll.endpoints)
    # which database, and who led to it: absent from recordings made before (read as None)
    if poll.tango_host is not None:
        entry["tango_host"] = poll.tango_host
    if poll.followed_from is not None:
        entry["followed_from"] = poll.followed_from
    if poll.reply is not None:
        entry["reply"] = dict(poll.reply)  # a plain object (it may be decoded on demand)
    else:
        entry["error"] = poll.error
    return entry


def snapshot_from_json(line: dict[str, Any]) -> Snapshot:
    if line.get("recording") != RECORDING_VERSION:
        raise RecordingError(f"unknown recording version {line.get('recording')!r}")
    return Snapshot(
        time=datetime.fromisoformat(line["time"]),
        polls=tuple(
            ServerPoll(
                admin=entry["admin"],
                devices=tuple(entry["devices"]),
                reply=entry.get("reply"),
                error=entry.get("error"),
                duration_s=entry.get("duration_s"),
                endpoints=_endpoints(entry),
                tango_host=entry.get("tango_host"),
                followed_from=entry.get("followed_from"),
            )
            for entry in line["servers"]
        ),
    )


class _RecordedPoll(msgspec.Struct, kw_only=True):
    admin: str
    devices: list[str]
    reply: msgspec.Raw = msgspec.Raw()  # the reply's text as recorded (empty: none)
    error: str | None = None
    duration_s: int | float | None = None
    endpoints: list[dict[str, Any]] | None = None  # the probe's, since issue 14
    tango_host: str | None = None
    followed_from: str | None = None


class _RecordedLine(msgspec.Struct, kw_only=True):
    recording: int
    time: str
    servers: list[_RecordedPoll]


_LINE = msgspec.json.Decoder(_RecordedLine)


def _typed_snapshot(line: bytes) -> Snapshot | None:
    """A line read the fast way (typed): each reply's state parsed straight from its
    recorded text. None when the line does not fit: then `snapshot_from_json` reads it, or
    says why it cannot."""
    try:
        recorded = _LINE.decode(line)
        time = datetime.fromisoformat(recorded.time)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError):
        return None
    if recorded.recording != RECORDING_VERSION:
        return None
    polls: list[ServerPoll] = []
    for entry in recorded.servers:
        text = bytes(entry.reply)
        devices = tuple(entry.devices)
        if text in (b"", b"null"):
            polls.append(
                ServerPoll(
                    entry.admin,
                    devices,
                    None,
                    entry.error,
                    entry.duration_s,
                    tango_host=entry.tango_host,
                    followed_from=entry.followed_from,
                )
            )
        elif text.startswith(b"{") and entry.error is None:
            state = typed_state(text, SUPPORTED_VERSION)  # None: the session says why
            reply = orjson.loads(text)  # a plain object, as readers of recordings expect
            polls.append(
                ServerPoll.parsed(
                    entry.admin,
                    devices,
                    reply,
                    state,
                    entry.duration_s,
                    tango_host=entry.tango_host,
                    followed_from=entry.followed_from,
                )
            )
        else:
            return None
        if entry.endpoints is not None:
            polls[-1] = polls[-1].with_endpoints(endpoints_from_json(entry.endpoints))
    return Snapshot(time, tuple(polls))


def _endpoints(entry: dict[str, Any]) -> tuple[EndpointCheck, ...] | None:
    """Recordings made before the probe have no `endpoints`."""
    found = entry.get("endpoints")
    return None if found is None else endpoints_from_json(found)


class Recorder:
    """Appends snapshots to a recording file, one flushed line each."""

    def __init__(self, path: str | Path, append: bool = False) -> None:
        self.path = path = Path(path)
        self._compress = _STREAM_COMPRESSORS.get(path.suffix)
        mode: Literal["ab", "wb"] = "ab" if append else "wb"
        try:
            self._file: io.BufferedWriter | gzip.GzipFile = (
                gzip.GzipFile(path, mode)  # its flush() is a zlib sync flush
                if path.suffix == ".gz"
                else open(path, mode)  # noqa: SIM115
            )
        except OSError as error:
            raise RecordingError(cannot_write("recording", path, error)) from None

    def write(self, snapshot: Snapshot) -> None:
        line = snapshot_line(snapshot)
        data = line.encode()
        try:
            self._file.write(self._compress(data) if self._compress else data)
            self._file.flush()
        except OSError as error:
            raise RecordingError(cannot_write("recording", self.path, error)) from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # what could be written was flushed line by line
            self._file.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# told how far reading got: bytes of the file read so far, and its size
Progress = Callable[[int, int], None]


def read_recording(path: str | Path, progress: Progress | None = None) -> Iterator[Snapshot]:
    """Snapshots of a recording; a truncated last line (a crash while writing) is skipped."""
    path = Path(path)
    lines = _read_lines(path, progress)
    previous: bytes | None = None
    number = 0
    for number, line in enumerate(lines, start=1):
        if previous is not None:
            yield _parse_line(previous, number - 1, path)
        previous = line
    if previous is not None and (snapshot := _parse_last_line(previous, number, path)):
        yield snapshot
    if number == 0:
        raise RecordingError(f"{path} is an empty recording")


def _read_lines(path: Path, progress: Progress | None = None) -> Iterator[bytes]:
    """Lines as bytes: orjson decodes UTF-8 itself, faster than a text stream does."""
    try:
        with open(path, "rb") as raw, _open_binary(path, raw) as file:
            size = os.fstat(raw.fileno()).st_size
            for line in file:
                yield line
                if progress is not None:  # of the file as stored (compressed or not)
                    progress(raw.tell(), size)
    except EOFError:
        return  # compressed stream cut short: keep what was complete
    except (OSError, lzma.LZMAError, zlib.error) as error:
        raise RecordingError(f"cannot read the recording {path}: {error}") from None


def _open_binary(path: Path, raw: IO[bytes]) -> IO[bytes] | gzip.GzipFile | lzma.LZMAFile:
    """The recording's file `raw`, decompressed as its suffix says."""
    if path.suffix == ".gz":
        return gzip.open(raw, "rb")
    if path.suffix == ".bz2":
        return bz2.open(raw, "rb")
    if path.suffix == ".xz":
        return lzma.LZMAFile(raw)
    return raw


def _parse_line(line: bytes, number: int, path: Path) -> Snapshot:
    snapshot = _typed_snapshot(line)
    if snapshot is not None:
        return snapshot
    try:
        return snapshot_from_json(orjson.loads(line))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as error:
        raise RecordingError(f"{path}:{number}: not a recorded snapshot ({error})") from None


def _parse_last_line(line: bytes, number: int, path: Path) -> Snapshot | None:
    if not line.endswith(b"\n"):
        snapshot = _typed_snapshot(line)
        if snapshot is not None:
            return snapshot
        try:
            return snapshot_from_json(orjson.loads(line))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            return None  # written half-way when the writer died
    return _parse_line(line, number, path)
