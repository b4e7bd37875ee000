"""docs/tutorial.md against the tools as they are today.

The tutorial shows output captured from real runs with the tutorial's numbers (a scan of about
13 s and snapshots every 10 s). These tests keep it true:

- every shell command line of the page (`$ ` in a code block) names a real command, and the
  options it gives exist (`ska-tango-event-monitor` lines must pass `cli.parse_args`,
  `ska-tango-event-monitor-tutorial` lines are checked against the subcommand's `--help`);
- every `--option` the page mentions exists in one of the tools;
- the monitor's banners shown are 120 characters wide;
- every `$ ska-tango-event-monitor ...` block shown is exactly what
  `ska-tango-event-monitor --replay tests/data/tutorial_<name>.jsonl.gz` prints today, with
  the options shown (the devices aside). The HTML comment right before the block names the
  recording: the live run was made with `-o tests/data/tutorial_<name>.jsonl.gz` added, and a
  replay prints exactly what the live run printed. When the report or the findings change,
  regenerate the blocks from the recordings, then review the diff and make the prose around
  each block true to it (numbers, findings, which snapshot shows what):

      UPDATE_DOCS=1 .venv/bin/pytest tests/test_tutorial_doc.py -k replay

- a real run of the embedded system with a short scan prints what the page shows: the same
  lines from `up`, `status`, `scan`, `logs hw` and `down` once numbers and the state folder
  are set aside, and from `ska-tango-event-monitor --monitor`, the same section titles,
  banner titles, table columns and performance row labels (without their units).

The demo blocks (`ska-tango-event-monitor-tutorial demo`) are shortened captures, with a
`[... left out ...]` line: only their shape is checked.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from ska_tango_event_monitor import cli

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "tutorial.md"
MAKEFILE = REPO / "Makefile"
COMPOSE_DIR = REPO / "tutorial" / "diagnose-missing-events"
MONITOR = "ska-tango-event-monitor"
TUTORIAL = "ska-tango-event-monitor-tutorial"
WIDTH = 120
SHORT_SYSTEM = ["--scan-points", "20", "--event-rate", "20", "--rogue-delay", "0.3"]
SHORT_SYSTEM += ["--scan-timeout", "3"]
DEVICES = ["foo/bar/hw", "foo/bar/top"]
# tutorial subcommands whose output the live run reproduces (demo takes a minute: not run)
REPRODUCED = ("up", "status", "scan", "logs hw", "down")

# `=====2026-...=====`, `-----dserver/X/y (from a/b/c)-----`, `=====Summary=====`, `=====`:
# the title touches the fill (the demo's own `=== What happened ===` rule has spaces: not ours)
BANNER = re.compile(r"^(?P<fill>[=-])(?P=fill)+(?:(?P<title>[^\s=-](?:.*[^\s=-])?)(?P=fill)+)?$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")
SECTION = re.compile(r"^- (?P<title>\S.*)$")
TABLE_HEADER = re.compile(r"^\s+mean\s+median\s+count\b")
TABLE_ROW = re.compile(r"^\s*(?P<label>[A-Za-z][A-Za-z ]*?)(?: \[[^\]]+\])?\s+-?\d+\.\d+±")
FINDING = re.compile(r"^(INFO|WARNING|ERROR) [a-z][a-z ]* dserver/\S+( \S+)?: \S.*$")
LEFT_OUT = re.compile(r"^\[\.\.\. .* left out .*\]$")
# right before a monitor block: `<!-- ... tests/data/tutorial_<name>.jsonl.gz ... -->`
REPLAY_NOTE = re.compile(r"^<!--.*\b(?P<path>tests/data/tutorial_\w+\.jsonl\.gz)\b.*-->$")
UPDATE_DOCS = "UPDATE_DOCS=1 .venv/bin/pytest tests/test_tutorial_doc.py -k replay"


# -- the page --------------------------------------------------------------------------------


@dataclass
class Transcript:
    """A `$ command` line of a code block and the lines shown after it."""

    command: str
    output: list[str] = field(default_factory=list)

    @property
    def words(self) -> list[str]:
        return shlex.split(self.command, comments=True)


def code_blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    assert current is None, "a code block is not closed"
    return blocks


def transcripts(blocks: list[list[str]]) -> list[Transcript]:
    found: list[Transcript] = []
    for block in blocks:
        current: Transcript | None = None
        for line in block:
            if line.startswith("$ "):
                current = Transcript(line[2:])
                found.append(current)
            elif current is not None and not LEFT_OUT.match(line):
                current.output.append(line)
    return found


@cache
def doc_text() -> str:
    assert DOC.is_file(), f"{DOC} is missing"
    return DOC.read_text()


def doc_transcripts() -> list[Transcript]:
    return transcripts(code_blocks(doc_text()))


def monitor_outputs(items: list[Transcript]) -> list[str]:
    """Lines printed by the monitor: its own transcripts and the demo, which runs it."""
    lines: list[str] = []
    for item in items:
        words = item.words
        if words[0] == MONITOR or (words[0] == TUTORIAL and words[1] == "demo"):
            lines += item.output
    return lines


def tutorial_key(words: list[str]) -> str:
    """`logs hw` for `ska-tango-event-monitor-tutorial logs hw --state-dir X`."""
    key, args = [words[1]], iter(words[2:])
    takes_value = tutorial_options(words[1])
    for word in args:
        if word.startswith("-"):
            if takes_value.get(word.split("=", 1)[0]) and "=" not in word:
                next(args, None)
        else:
            key.append(word)
    return " ".join(key)


def state_dir_of(words: list[str]) -> str | None:
    for index, word in enumerate(words):
        if word == "--state-dir":
            return words[index + 1]
        if word.startswith("--state-dir="):
            return word.split("=", 1)[1]
    return None


# -- the tools' command lines -----------------------------------------------------------------


def script(name: str) -> str:
    """A console script or tool next to the running interpreter (the venv), else on PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    assert found, f"{name} is neither next to {sys.executable} nor on PATH"
    return found


def run(args: list[str], timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


@cache
def tutorial_help(subcommand: str | None = None) -> str:
    args = [script(TUTORIAL), *([subcommand] if subcommand else []), "--help"]
    result = run(args)
    assert result.returncode == 0, f"{' '.join(args)}: {result.stderr}"
    return result.stdout


@cache
def tutorial_subcommands() -> frozenset[str]:
    listed = re.search(r"^\s+\{([\w,-]+)\}", tutorial_help(), re.MULTILINE)
    if listed:
        return frozenset(listed.group(1).split(","))
    return frozenset(re.findall(r"^    (\w+)\s", tutorial_help(), re.MULTILINE))


@cache
def tutorial_options(subcommand: str) -> dict[str, bool]:
    """Options of a subcommand, and whether each takes a value (from the usage lines)."""
    text = tutorial_help(subcommand)
    usage = text.split("\n\n", 1)[0]
    options = {name: False for name in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text)}
    for name, value in re.findall(r"\[(--?[A-Za-z][\w-]*)(?: ([A-Z_]+))?\]", usage):
        options[name] = bool(value)
    return options


@cache
def tutorial_choices(subcommand: str) -> frozenset[str]:
    usage = tutorial_help(subcommand).split("\n\n", 1)[0]
    return frozenset(
        choice for group in re.findall(r"\{([\w,]+)\}", usage) for choice in group.split(",")
    )


@cache
def compose_help(subcommand: str) -> str:
    result = run([script("docker-compose"), subcommand, "--help"])
    assert result.returncode == 0, f"docker-compose {subcommand} --help: {result.stderr}"
    return result.stdout


@cache
def compose_services() -> frozenset[str]:
    compose = script("docker-compose")
    result = run([compose, "-f", str(COMPOSE_DIR / "compose.yaml"), "config", "--services"])
    assert result.returncode == 0, result.stderr
    return frozenset(result.stdout.split())


@cache
def make_targets() -> frozenset[str]:
    return frozenset(re.findall(r"^([\w.-]+):", MAKEFILE.read_text(), re.MULTILINE))


def check_monitor(args: list[str]) -> None:
    script(MONITOR)
    err = io.StringIO()
    try:
        cli.parse_args(args, cli.Environment(stdout=io.StringIO(), stderr=err))
    except SystemExit as exit_:
        assert exit_.code == 0, f"{MONITOR} {shlex.join(args)}: {err.getvalue().strip()}"


def check_tutorial(args: list[str]) -> None:
    script(TUTORIAL)
    assert args, f"{TUTORIAL} needs a subcommand"
    subcommand, rest = args[0], iter(args[1:])
    assert subcommand in tutorial_subcommands(), f"{TUTORIAL} has no subcommand {subcommand}"
    options, choices = tutorial_options(subcommand), tutorial_choices(subcommand)
    for word in rest:
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            assert name in options, f"{TUTORIAL} {subcommand} has no option {name}"
            if options[name] and "=" not in word:
                value = next(rest, None)
                assert value is not None, f"{TUTORIAL} {subcommand} {name} needs a value"
        else:
            assert word in choices, f"{TUTORIAL} {subcommand} takes no argument {word!r}"


def check_docker(args: list[str]) -> None:
    assert args[:1] == ["compose"], f"only `docker compose` is used: {args}"
    subcommand, rest = args[1], args[2:]
    text = compose_help(subcommand)
    for word in rest:
        if word.startswith("-"):
            assert re.search(rf"(?<![\w-]){re.escape(word)}\b", text), (
                f"docker compose {subcommand} has no option {word}"
            )
        else:
            assert word in compose_services(), f"compose.yaml has no service {word}"


def check_eval(args: list[str]) -> None:
    inner = re.fullmatch(r"\$\((.*)\)", args[0]) if len(args) == 1 else None
    assert inner, f'eval is only used as eval "$(...)": {args}'
    for part in inner.group(1).split(" | "):
        check_command(part)


def check_command(command: str) -> None:
    words = shlex.split(command, comments=True)
    program, args = words[0], words[1:]
    if program == MONITOR:
        check_monitor(args)
    elif program == TUTORIAL:
        check_tutorial(args)
    elif program == "docker":
        check_docker(args)
    elif program == "eval":
        check_eval(args)
    elif program == "make":
        assert set(args) <= make_targets(), f"the Makefile has no target {args}"
    elif program == "export":
        assert all(re.fullmatch(r"[A-Z_]+=\S+", arg) for arg in args), command
    elif program == ".":
        venv = re.search(r"^VENV \?= (\S+)$", MAKEFILE.read_text(), re.MULTILINE)
        assert venv and args == [f"{venv.group(1)}/bin/activate"], command
    elif program == "cd":
        assert (REPO / "tutorial" / args[0]).is_dir(), f"the archive has no folder {args[0]}"
    elif program == "tar":
        script("tar")
        assert args[-1] in MAKEFILE.read_text(), f"`make archive` does not build {args[-1]}"
    elif program in ("python", "python3"):
        assert args[0] == "-c", command
        compile(args[1], "<docs/tutorial.md>", "exec")
    elif program in ("grep", "itango"):
        script(program)
    else:
        pytest.fail(f"no check for the command {program!r} shown in {DOC.name}: add one")


def test_every_command_line_is_accepted() -> None:
    items = doc_transcripts()
    programs = {item.words[0] for item in items}
    assert {MONITOR, TUTORIAL, "docker", "make", "tar", "export"} <= programs
    for item in items:
        check_command(item.command)


def test_every_option_mentioned_exists() -> None:
    known = cli.build_parser().format_help()
    known += "".join(tutorial_help(sub) for sub in sorted(tutorial_subcommands()))
    known += compose_help("up") + compose_help("logs") + compose_help("down")
    known += run([script("docker-compose"), "--help"]).stdout  # global options: --profile
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", doc_text()))
    missing = {option for option in mentioned if not re.search(rf"{option}\b", known)}
    assert not missing, f"{DOC.name} mentions options no tool has: {sorted(missing)}"


def test_banners_are_120_wide() -> None:
    banners = [line for block in code_blocks(doc_text()) for line in block if BANNER.match(line)]
    assert len(banners) > 20
    assert [line for line in banners if len(line) != WIDTH] == []


# -- the monitor's output: replays of the recordings ----------------------------------------


@dataclass(frozen=True)
class ReplayedBlock:
    """A code block of the page with one `$ ska-tango-event-monitor` run and its output."""

    recording: str  # tests/data/tutorial_<name>.jsonl.gz, from the note before the block
    command: str  # the `$ ` line, without `$ `
    first: int  # index of its first output line in the page's lines
    end: int  # index of the closing fence

    @property
    def name(self) -> str:
        return Path(self.recording).name.removesuffix(".jsonl.gz")


def replayed_blocks(text: str) -> list[ReplayedBlock]:
    lines = text.splitlines()
    found: list[ReplayedBlock] = []
    note: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if match := REPLAY_NOTE.match(line):
            note = match.group("path")
        elif line.startswith("```"):
            end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
            if note is not None:
                body = lines[index + 1 : end]
                assert body and body[0].startswith(f"$ {MONITOR} "), (
                    f"the block after the note on {note} does not start with `$ {MONITOR}`"
                )
                assert not [x for x in body[1:] if x.startswith("$ ")], (
                    f"the block replayed from {note} shows more than one command"
                )
                found.append(ReplayedBlock(note, body[0][2:], index + 2, end))
                note = None
            index = end
        elif line.strip() and note is not None:
            pytest.fail(f"the note on {note} is not right before a code block: {line!r}")
        index += 1
    assert note is None, f"the note on {note} is not followed by a code block"
    return found


def replayed_block(name: str) -> tuple[list[str], ReplayedBlock]:
    """The page's lines as they are now, and the block replayed from `tutorial_<name>`."""
    text = DOC.read_text()
    block = next((x for x in replayed_blocks(text) if x.name == name), None)
    assert block is not None, f"{DOC.name} has no block replayed from tutorial_{name}"
    return text.splitlines(), block


def replay_command(block: ReplayedBlock) -> list[str]:
    """`ska-tango-event-monitor --replay RECORDING` with the options shown, not the devices."""
    words = shlex.split(block.command)[1:]
    options = cli.parse_args(words, cli.Environment(stdout=io.StringIO(), stderr=io.StringIO()))
    assert options.devices, f"{block.command}: a live run names its devices"
    assert options.output is None, f"{block.command}: the recording is named in the note, not -o"
    devices = set(options.devices)
    options_shown = [word for word in words if word not in devices]
    return [script(MONITOR), "--replay", str(REPO / block.recording), *options_shown]


REPLAYED = [block.name for block in replayed_blocks(doc_text())]


def test_every_monitor_run_shown_is_replayed() -> None:
    shown = [x.command for x in doc_transcripts() if x.words[0] == MONITOR and x.output]
    assert len(shown) >= 3
    assert [block.command for block in replayed_blocks(doc_text())] == shown, (
        f"every `$ {MONITOR}` block with output needs the note on its recording before it"
    )
    assert len(set(REPLAYED)) == len(REPLAYED), "a recording is shown twice"


@pytest.mark.parametrize("name", REPLAYED)
def test_the_monitor_output_shown_is_the_replay_of_its_recording(name: str) -> None:
    lines, block = replayed_block(name)
    recording = REPO / block.recording
    assert recording.is_file(), f"{block.recording} is missing"
    assert recording.stat().st_size < 50_000, f"{block.recording}: keep the recordings small"

    result = run(replay_command(block))

    assert (result.returncode, result.stderr) == (0, "")
    printed = result.stdout.splitlines()
    if os.environ.get("UPDATE_DOCS") == "1" and lines[block.first : block.end] != printed:
        lines[block.first : block.end] = printed
        DOC.write_text("\n".join(lines) + "\n")
        doc_text.cache_clear()
        lines, block = replayed_block(name)
    assert lines[block.first : block.end] == printed, (
        f"the `$ {block.command}` block of {DOC.name} is not what the monitor prints for "
        f"{block.recording} today: `{UPDATE_DOCS}` regenerates it; review the diff and make "
        "the prose around it true to it"
    )


# -- structure of the output ------------------------------------------------------------------


def normalise(text: str) -> str:
    return re.sub(r"\d+", "N", text)


@dataclass(frozen=True)
class Structure:
    sections: frozenset[str]
    banners: frozenset[str]
    table_headers: frozenset[str]
    row_labels: frozenset[str]
    findings: int

    @classmethod
    def of(cls, lines: list[str]) -> Structure:
        sections, banners, headers, labels = set(), set(), set(), set()
        findings = 0
        for line in lines:
            if match := SECTION.match(line):
                sections.add(normalise(match.group("title")))
            elif match := BANNER.match(line):
                title = match.group("title") or ""
                banners.add("<time>" if TIMESTAMP.match(title) else title)
            elif TABLE_HEADER.match(line):
                headers.add(" ".join(line.split()))
            elif match := TABLE_ROW.match(line):
                labels.add(match.group("label"))
            elif FINDING.match(line):
                findings += 1
        return cls(
            frozenset(sections),
            frozenset(banners),
            frozenset(headers),
            frozenset(labels),
            findings,
        )


def test_the_monitor_output_shown_is_complete() -> None:
    shown = Structure.of(monitor_outputs(doc_transcripts()))
    assert {"New publishers", "Published events", "Server performance"} <= shown.sections
    assert {"Event Gaps", "Push Time", "Latency", "position Processing Time"} <= shown.row_labels
    assert {"<time>", "Findings", "Summary", ""} <= shown.banners
    assert shown.findings > 0
    # every finding line shown has the monitor's form
    for line in monitor_outputs(doc_transcripts()):
        if line.startswith(("INFO ", "WARNING ", "ERROR ")):
            assert FINDING.match(line), line


# -- the live run ------------------------------------------------------------------------------


def tutorial(*args: object, merge: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script(TUTORIAL), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge else subprocess.PIPE,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


class MonitorRun:
    """`ska-tango-event-monitor` in the background; its output collected line by line."""

    def __init__(self, args: list[str], tango_host: str) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [script(MONITOR), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "TANGO_HOST": tango_host},
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_snapshots(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while sum(1 for line in self.lines if is_time_banner(line)) < 2 * count:
            assert self.process.poll() is None or self._reader.is_alive(), self.stderr()
            assert time.monotonic() < deadline, f"no snapshot after {timeout} s: {self.lines}"
            time.sleep(0.05)

    def finish(self, timeout: float) -> int:
        status = self.process.wait(timeout)
        self._reader.join(5)
        return status

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.stderr else ""

    def stop(self) -> None:
        """Kill it if it still runs (by its pid), then close our ends of its pipes."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self._reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def is_time_banner(line: str) -> bool:
    match = BANNER.match(line)
    return bool(match and TIMESTAMP.match(match.group("title") or ""))


def wait_until_drained(tango_host: str, points: int, timeout: float = 20) -> None:
    """Until foo/bar/rogue has forwarded the scan's last position (the backlog is gone)."""
    import tango

    rogue = tango.DeviceProxy(f"tango://{tango_host}/foo/bar/rogue")
    deadline = time.monotonic() + timeout
    while rogue.read_attribute("position").value != float(points):
        assert time.monotonic() < deadline, "the top server did not catch up with the scan"
        time.sleep(0.2)


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "state"
    try:
        yield state
    finally:
        if (state / "state.json").is_file():
            tutorial("down", "--state-dir", state)


def comparable(lines: list[str], state_dir: str) -> list[str]:
    return [normalise(" ".join(line.replace(state_dir, "<STATE>").split())) for line in lines]


@pytest.mark.timeout(150)
def test_the_page_matches_a_real_run(state_dir: Path, tmp_path: Path) -> None:
    items = doc_transcripts()
    printed: dict[str, list[str]] = {}

    up = tutorial("up", *SHORT_SYSTEM, "--state-dir", state_dir)
    assert up.returncode == 0, up.stderr
    # as a terminal shows it: the export line (stdout) in the middle of the notes (stderr)
    notes = up.stderr.splitlines()
    cut = next(i for i, line in enumerate(notes) if line.startswith("Use this Tango database"))
    printed["up"] = notes[: cut + 1] + up.stdout.splitlines() + notes[cut + 1 :]
    assert up.stdout.splitlines() == [next(x for x in printed["up"] if "export" in x)]
    tango_host = re.search(r"^\s*export TANGO_HOST=(\S+)$", up.stdout, re.MULTILINE).group(1)
    printed["status"] = tutorial("status", "--state-dir", state_dir).stdout.splitlines()

    # the Python one-liners of the page, against this system
    for item in items:
        if item.words[0] in ("python", "python3"):
            result = run(
                [sys.executable, *item.words[1:]], env={**os.environ, "TANGO_HOST": tango_host}
            )
            assert result.returncode == 0, result.stderr
            assert normalise(result.stdout).splitlines() == [normalise(x) for x in item.output]

    # eval "$(... up | grep ...)": the pipeline keeps exactly the export line
    up_file = tmp_path / "up.txt"
    up_file.write_text(up.stdout)
    for item in items:
        if item.words[0] == "eval":
            pipeline = item.words[1][2:-1].split(" | ")
            assert pipeline[0].split()[:2] == [TUTORIAL, "up"], item.command
            pipeline[0] = f"cat {shlex.quote(str(up_file))}"
            shell = f'eval "$({" | ".join(pipeline)})"; printf %s "$TANGO_HOST"'
            env = {k: v for k, v in os.environ.items() if k != "TANGO_HOST"}
            result = run(["bash", "-c", shell], env=env)
            assert (result.returncode, result.stdout) == (0, tango_host), result.stderr

    scan = tutorial("scan", "--state-dir", state_dir, merge=True)
    assert scan.returncode == 1, scan.stdout
    printed["scan"] = scan.stdout.splitlines()
    printed["logs hw"] = tutorial("logs", "hw", "--state-dir", state_dir).stdout.splitlines()
    wait_until_drained(tango_host, points=20)

    # the monitor around a second scan: a first snapshot, then one with the scan in it
    monitor = MonitorRun(
        ["--monitor", "--polling-period", "5", "--count", "2", *DEVICES], tango_host
    )
    try:
        monitor.wait_for_snapshots(1, timeout=20)
        second = tutorial("scan", "--state-dir", state_dir, merge=True)
        assert second.returncode == 1, second.stdout
        assert monitor.finish(timeout=30) == 0, monitor.stderr()
    finally:
        monitor.stop()

    down = tutorial("down", "--state-dir", state_dir)
    assert down.returncode == 0, down.stderr
    printed["down"] = down.stdout.splitlines()

    # the tutorial's own commands print the lines shown (numbers and the state folder aside)
    doc_state = next(
        state_dir_of(item.words) for item in items if item.words[:2] == [TUTORIAL, "up"]
    )
    compared = set()
    for item in items:
        if item.words[0] != TUTORIAL or not item.output:
            continue
        key = tutorial_key(item.words)
        if key == "demo":
            continue
        assert key in REPRODUCED, f"the live run does not reproduce `{TUTORIAL} {key}`"
        assert comparable(item.output, doc_state) == comparable(printed[key], str(state_dir)), (
            f"`{TUTORIAL} {key}` prints other lines than {DOC.name} shows"
        )
        compared.add(key)
    assert compared == set(REPRODUCED)

    # the monitor prints the sections, banners, tables and findings shown
    shown = Structure.of(monitor_outputs(items))
    real = Structure.of(monitor.lines)
    assert real.sections == shown.sections
    assert real.banners == shown.banners
    assert real.table_headers == shown.table_headers
    assert real.row_labels == shown.row_labels
    assert real.findings > 0
    real_banners = [line for line in monitor.lines if BANNER.match(line)]
    assert real_banners
    assert {len(line) for line in real_banners} == {WIDTH}
