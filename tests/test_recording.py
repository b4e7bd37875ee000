"""Recordings: round trips, compression, appending, damaged files and flushing."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ska_tango_event_monitor.core.session import ServerPoll, Snapshot
from ska_tango_event_monitor.recording import (
    RECORDING_VERSION,
    Recorder,
    RecordingError,
    read_recording,
    snapshot_from_json,
    snapshot_to_json,
)

SUFFIXES = [".jsonl", ".jsonl.gz", ".jsonl.bz2", ".jsonl.xz"]
DECOMPRESS = {
    ".jsonl": lambda data: data,
    ".jsonl.gz": gzip.decompress,
    ".jsonl.bz2": bz2.decompress,
    ".jsonl.xz": lzma.decompress,
}
T0 = datetime(2026, 11, 23, 23, 13, 13, 196399)


def make_snapshot(index: int) -> Snapshot:
    reply = {
        "version": 1,
        "server": {
            "event_counters": {"tango://h:1/foo/bar/hw/mode.change": index + 1},
            "perf": None,
        },
        "client": None,
        "extra": {"nested": [1, "two", None, True]},
    }
    return Snapshot(
        time=T0 + timedelta(seconds=2 * index, microseconds=index),
        polls=(
            ServerPoll("dserver/MyServer/hw", ("foo/bar/hw", "foo/bar/mode"), reply=reply),
            ServerPoll(
                "tango://h:1/dserver/MyServer/top#dbase=no",
                ("tango://h:1/foo/bar/top#dbase=no",),
                error="API_CantConnectToDevice: it is gone — «ünïcode»",
            ),
        ),
    )


SNAPSHOTS = [make_snapshot(i) for i in range(4)]


def record(path: Path, snapshots: list[Snapshot], append: bool = False) -> None:
    with Recorder(path, append=append) as recorder:
        for snapshot in snapshots:
            recorder.write(snapshot)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    record(path, SNAPSHOTS)
    assert list(read_recording(path)) == SNAPSHOTS
    # the file really is compressed as its name says, one JSON object per line
    lines = DECOMPRESS[suffix](path.read_bytes()).decode().splitlines()
    assert [json.loads(line)["recording"] for line in lines] == [RECORDING_VERSION] * 4


def test_round_trip_keeps_time_zones() -> None:
    snapshot = Snapshot(
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
        (ServerPoll("dserver/a/b", ("a/b/c",), error=None),),
    )
    assert snapshot_from_json(json.loads(json.dumps(snapshot_to_json(snapshot)))) == snapshot


def test_poll_json_has_either_reply_or_error() -> None:
    line = snapshot_to_json(SNAPSHOTS[0])
    assert line["time"] == "2026-11-23T23:13:13.196399"
    assert set(line["servers"][0]) == {"admin", "devices", "reply"}
    assert set(line["servers"][1]) == {"admin", "devices", "error"}


def test_the_recorded_scan_reads(recorded_scan: Path) -> None:
    snapshots = list(read_recording(recorded_scan))
    assert len(snapshots) == 6
    assert [p.admin for p in snapshots[0].polls] == ["dserver/MyServer/hw", "dserver/MyServer/top"]
    assert snapshots[1].time - snapshots[0].time == timedelta(microseconds=2_000_194)


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_append_adds_after_existing_lines(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    record(path, SNAPSHOTS[:2])
    record(path, SNAPSHOTS[2:], append=True)
    assert list(read_recording(path)) == SNAPSHOTS


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_without_append_the_file_is_replaced(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    record(path, SNAPSHOTS[:2])
    record(path, SNAPSHOTS[2:])
    assert list(read_recording(path)) == SNAPSHOTS[2:]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_truncated_last_line_is_skipped(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    with Recorder(path) as recorder:
        for snapshot in SNAPSHOTS[:-1]:
            recorder.write(snapshot)
        complete = path.stat().st_size  # every earlier line is flushed by now
        recorder.write(SNAPSHOTS[-1])
        written = path.stat().st_size  # the last line, without gzip's closing trailer
    assert written > complete
    # a crash while writing the last line: cut its (compressed) bytes in the middle
    path.write_bytes(path.read_bytes()[: complete + (written - complete) // 2])

    assert list(read_recording(path)) == SNAPSHOTS[:-1]


@pytest.mark.parametrize("cut", [1, 10, -2])
def test_truncated_plain_line_at_various_places(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "events.jsonl"
    record(path, SNAPSHOTS[:2])
    text = path.read_text(encoding="utf-8")
    first_end = text.index("\n") + 1
    path.write_text(text[: first_end + cut if cut > 0 else len(text) + cut], encoding="utf-8")
    assert list(read_recording(path)) == SNAPSHOTS[:1]


def test_last_line_without_newline_but_complete_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    record(path, SNAPSHOTS[:2])
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n"), encoding="utf-8")
    assert list(read_recording(path)) == SNAPSHOTS[:2]


def test_corrupt_middle_line_names_its_number(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    record(path, SNAPSHOTS)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2][: len(lines[2]) // 2] + "\n"
    path.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(RecordingError, match=rf"{path}:3: not a recorded snapshot"):
        list(read_recording(path))


@pytest.mark.parametrize(
    "bad_line",
    [
        "[]",
        '{"recording": 1}',
        '{"recording": 1, "time": "yesterday", "servers": []}',
        '{"recording": 1, "time": "2026-01-01T00:00:00", "servers": [{"admin": "a"}]}',
    ],
)
def test_valid_json_that_is_no_snapshot(tmp_path: Path, bad_line: str) -> None:
    path = tmp_path / "events.jsonl"
    good = json.dumps(snapshot_to_json(SNAPSHOTS[0]))
    path.write_text(f"{good}\n{bad_line}\n{good}\n", encoding="utf-8")
    with pytest.raises(RecordingError, match=":2: "):
        list(read_recording(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_empty_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    path.write_bytes(b"")
    with pytest.raises(RecordingError, match="empty recording"):
        list(read_recording(path))


def test_unknown_recording_version(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    line = snapshot_to_json(SNAPSHOTS[0])
    line["recording"] = 2
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(RecordingError, match="unknown recording version 2"):
        list(read_recording(path))


def test_unknown_recording_version_in_a_later_line(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    good = snapshot_to_json(SNAPSHOTS[0])
    path.write_text(
        json.dumps(good) + "\n" + json.dumps(dict(good, recording=99)) + "\n" + json.dumps(good),
        encoding="utf-8",
    )
    with pytest.raises(RecordingError, match="unknown recording version 99"):
        list(read_recording(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_unwritable_path_fails_at_construction(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "no-such-dir" / f"events{suffix}"
    with pytest.raises(RecordingError, match=r"cannot write the recording .*no-such-dir"):
        Recorder(path)
    with pytest.raises(RecordingError):
        Recorder(path, append=True)
    assert not path.parent.exists()


def test_unreadable_file_is_a_recording_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="cannot read the recording"):
        list(read_recording(tmp_path / "missing.jsonl"))
    with pytest.raises(RecordingError, match="cannot read the recording"):
        list(read_recording(tmp_path))  # a directory


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".jsonl.bz2", ".jsonl.xz"])
def test_garbage_in_a_compressed_file_is_a_recording_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    path.write_bytes(b"this is not compressed at all\n" * 10)
    with pytest.raises(RecordingError, match="cannot read the recording"):
        list(read_recording(path))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_each_line_is_flushed(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    recorder = Recorder(path)
    try:
        recorder.write(SNAPSHOTS[0])
        # another reader sees the line while the recorder is still open
        assert list(read_recording(path)) == SNAPSHOTS[:1]
        recorder.write(SNAPSHOTS[1])
        assert list(read_recording(path)) == SNAPSHOTS[:2]
    finally:
        recorder.close()
    assert list(read_recording(path)) == SNAPSHOTS[:2]


def test_corrupt_gzip_data_is_a_recording_error(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl.gz"
    record(path, SNAPSHOTS)
    data = bytearray(path.read_bytes())
    for i in range(30, 60):  # past the 10-byte gzip header: damage the deflate stream
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match="cannot read the recording"):
        list(read_recording(path))


@pytest.mark.parametrize("suffix", [".jsonl.bz2", ".jsonl.xz"])
def test_corrupt_compressed_data_is_a_recording_error(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"events{suffix}"
    record(path, SNAPSHOTS)
    data = bytearray(path.read_bytes())
    for i in range(30, 60):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(RecordingError, match="cannot read the recording"):
        list(read_recording(path))


def test_a_reply_received_as_text_is_recorded_as_it_came(tmp_path: Path) -> None:
    """No decode and encode round trip: the text is written as received (its own spacing
    and non-ASCII characters kept); a text with line breaks is written re-encoded, on
    one line."""
    text = (
        '{"version": 1,  "server": {"event_counters": {"a/b/c/é.change": 3}, "perf": null}, '
        '"client": null}'
    )
    broken = '{"version": 1,\n "server": null, "client": null}'
    polls = tuple(
        ServerPoll(f"dserver/X/{i}", (), reply=json.loads(t), text=t)
        for i, t in enumerate((text, broken))
    )
    path = tmp_path / "r.jsonl"
    with Recorder(path) as recorder:
        recorder.write(Snapshot(datetime(2026, 1, 1), polls))
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert f'"reply":{text}}}' in line
    assert '"reply":{"version":1,"server":null,"client":null}' in line
    [snapshot] = read_recording(path)
    assert [poll.reply for poll in snapshot.polls] == [json.loads(text), json.loads(broken)]
