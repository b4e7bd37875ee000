"""The documentation in docs/ against the tools as they are today.

- The pages build with Sphinx, warnings as errors (what `make docs` runs).
- Every ```python block of the pages runs for real, in the order of its page, in a working
  folder of the page that holds the recordings the pages name (copies of tests/data) and with
  TANGO_HOST set to a running tutorial control system (with FixedRogueDevice). Markers, an
  HTML comment on the line before a block: `<!-- not-run -->` skips a block, `<!-- pytest -->`
  runs it as a test file with pytest, `<!-- file: NAME -->` writes the block to NAME in the
  working folder, and `<!-- output -->` on a ```text block after a python block is what that
  block prints.
- Every `$ ` command line of a ```console block names a real command with options that parse
  (`cli.parse_args`, the tutorial's `build_parser`). Those that finish by themselves
  (`--replay`, `--list`, `--count`) run, and the output shown is what they print: exactly,
  except that a `[...]` line stands for lines left out. `$ echo $?` shows the exit status of
  the command before it (0 when not shown).
- `record-events.sh` of the CI how-to runs a real scan of the tutorial system.
- The output reference names every section, table row and column, finding kind, exit code,
  recording key, JSON key and Prometheus metric of the code.

docs/tutorial.md is built here too; tests/test_tutorial_doc.py checks its commands and output.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pytest

from ska_tango_event_monitor import cli
from ska_tango_event_monitor.cli.exit_status import ExitStatus

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
DATA = Path(__file__).parent / "data"
PAGES = sorted(page for page in DOCS.rglob("*.md") if page.name != "tutorial.md")
OUTPUT_REFERENCE = DOCS / "output-reference.md"
MONITOR = "ska-tango-event-monitor"
TUTORIAL = "ska-tango-event-monitor-tutorial"
# the recordings the pages name, and the recordings of tests/data they are
RECORDINGS = {
    "events.jsonl.gz": "slow_callback_scan.jsonl",
    "restart.jsonl": "scenario_publisher_restart.jsonl",
    "missed-events.jsonl": "scenario_missed_events.jsonl",
    "churn.jsonl": "scenario_churn.jsonl",
    "not-connected.jsonl": "scenario_not_connected.jsonl",
    "unreachable-endpoint.jsonl": "scenario_unreachable_endpoint.jsonl",
    "samples-stolen.jsonl": "scenario_samples_stolen.jsonl",
}
# a short scan: 20 position events at 20 Hz
SYSTEM = ["--fixed-rogue", "--scan-points", "20", "--event-rate", "20", "--scan-timeout", "10"]
LEFT_OUT = "[...]"
SHELL_OPERATORS = {"|", "||", "&&", ";", "&"}
REDIRECTIONS = {">", ">>", "<", ">&", "&>"}
# options of other programs that the pages mention (timeout, docker compose, py-spy)
OTHER_OPTIONS = {"--preserve-status", "--profile", "--detach", "--build", "--pid"}


# -- the pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    text: str
    marker: str  # the `<!-- ... -->` comment on the line before, if any


def blocks(page: Path) -> list[Block]:
    found: list[Block] = []
    lines = page.read_text().splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.startswith("```"):
            index += 1
            continue
        fence = re.match(r"`{3,}", line).group()
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith(fence))
        before = next((text.strip() for text in reversed(lines[:index]) if text.strip()), "")
        marker = re.fullmatch(r"<!--\s*(.*?)\s*-->", before)
        found.append(
            Block(
                page,
                index + 1,
                line[len(fence) :].strip(),
                "\n".join(lines[index + 1 : end]) + "\n",
                marker.group(1) if marker else "",
            )
        )
        index = end + 1
    return found


@dataclass(frozen=True)
class Command:
    """A `$ ` line of a console block and the lines shown after it."""

    block: Block
    line: str
    output: tuple[str, ...]


def commands(block: Block) -> list[Command]:
    found: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            found.append((line[2:], []))
        elif found:
            found[-1][1].append(line)
        else:
            pytest.fail(f"{where(block)}: a console block starts with a `$ ` line")
    return [Command(block, line, tuple(output)) for line, output in found]


def page_commands(page: Path) -> list[Command]:
    return [c for b in blocks(page) if b.language == "console" for c in commands(b)]


def scripts(page: Path) -> dict[str, Block]:
    """The `<!-- file: NAME -->` blocks of a page, by NAME."""
    return {
        block.marker.split(":", 1)[1].strip(): block
        for block in blocks(page)
        if block.marker.startswith("file:")
    }


def where(block: Block) -> str:
    return f"{block.page.relative_to(REPO)}:{block.line}"


def page_id(page: Path) -> str:
    return str(page.relative_to(DOCS))


# -- command lines ------------------------------------------------------------------------------


def segments(line: str) -> list[list[str]]:
    """The simple commands of a shell line, without operators and redirections."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    found: list[list[str]] = [[]]
    skip = False
    for position, token in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if skip:
            skip = False
        elif token in SHELL_OPERATORS:
            found.append([])
        elif token in REDIRECTIONS:
            skip = True
        elif not (token.isdigit() and following in REDIRECTIONS):
            found[-1].append(token)
    return [words for words in found if words]


def check_line(line: str, page: Path) -> None:
    for words in segments(line):
        check_words(words, page)


def check_words(words: list[str], page: Path) -> None:
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # VAR=value command
        words = words[1:]
    program, args = words[0], words[1:]
    checks = {
        MONITOR: check_monitor,
        TUTORIAL: check_tutorial,
        "kubectl": check_kubectl,
        "timeout": check_timeout,
        "sh": check_sh,
        "eval": check_eval,
        "export": check_export,
        "python": check_python,
        "python3": check_python,
    }
    if program in checks:
        checks[program](args, page)
    elif program == "pytest":
        assert script(program), "pytest is not installed"
    elif program not in ("grep", "head", "tail", "echo"):
        pytest.fail(f"no check for the command {program!r} in {page_id(page)}: add one")


def check_monitor(args: list[str], page: Path) -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        cli.parse_args(args, cli.Environment(stdout=stdout, stderr=stderr))
    except SystemExit as exit_:
        assert exit_.code in (0, None), f"{MONITOR} {shlex.join(args)}: {stderr.getvalue()}"


def check_tutorial(args: list[str], page: Path) -> None:
    from ska_tango_event_monitor.tutorial.arguments import build_parser

    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(args)
    except SystemExit as exit_:
        assert exit_.code in (0, None), f"{TUTORIAL} {shlex.join(args)}: {stderr.getvalue()}"


def check_kubectl(args: list[str], page: Path) -> None:
    takes_value = {"-n", "--namespace", "-c", "--container"}
    subcommand, rest = args[0], args[1:]
    operands: list[str] = []
    while rest and rest[0] != "--":
        word = rest.pop(0)
        if word in takes_value:
            rest.pop(0)
        elif not word.startswith("-"):
            operands.append(word)
    if subcommand == "exec":
        assert len(operands) == 1 and rest[:1] == ["--"], f"kubectl exec POD -- COMMAND: {args}"
        check_words(rest[1:], page)
    else:
        assert subcommand == "cp" and len(operands) == 2, f"kubectl exec or cp: {args}"


def check_timeout(args: list[str], page: Path) -> None:
    while args[0].startswith("-"):
        args = args[2:] if args[0] in ("-s", "-k") else args[1:]
    assert re.fullmatch(r"\d+(\.\d+)?[smhd]?", args[0]), f"timeout DURATION COMMAND: {args}"
    check_words(args[1:], page)


def check_sh(args: list[str], page: Path) -> None:
    assert args[0] in scripts(page), f"sh {args[0]}: no `<!-- file: {args[0]} -->` block"
    check_words(args[1:], page)


def check_eval(args: list[str], page: Path) -> None:
    inner = re.fullmatch(r"\$\((.*)\)", args[0]) if len(args) == 1 else None
    assert inner, f'eval is only used as eval "$(...)": {args}'
    check_line(inner.group(1), page)


def check_export(args: list[str], page: Path) -> None:
    assert all(re.fullmatch(r"[A-Z_]+=\S+", arg) for arg in args), args


def check_python(args: list[str], page: Path) -> None:
    if args[0] == "-c":
        compile(args[1], "<command line>", "exec")
    else:
        assert args[:2] in (["-m", "json.tool"], ["-m", "pytest"]), args


def finishes(line: str) -> bool:
    """A line that ends by itself, quickly: run it."""
    runs = segments(line)
    return any(words[0] == MONITOR for words in runs) and all(map(finishes_quickly, runs))


def finishes_quickly(words: list[str]) -> bool:
    if words[0] != MONITOR:
        return words[0] in ("python", "python3", "grep", "head", "tail")
    serving = any(word == "--prometheus" or word.startswith("--prometheus=") for word in words)
    return bool({"--replay", "--list", "--count"} & set(words)) and not serving


@cache
def script(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return shutil.which(name)


# -- the working folder and the control system --------------------------------------------------


def environment(tango_host: str) -> dict[str, str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "TANGO_HOST": tango_host}


def working_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in RECORDINGS.items():
        data = (DATA / source).read_bytes()
        (folder / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return folder


@dataclass(frozen=True)
class System:
    tango_host: str
    state_dir: Path


def tutorial(*args: object, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [script(TUTORIAL), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """The tutorial's control system with FixedRogueDevice and a short scan."""
    state = tmp_path_factory.mktemp("docs-system") / "state"
    up = tutorial("up", *SYSTEM, "--state-dir", state)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        tango_host = re.search(r"export TANGO_HOST=(\S+)", up.stdout).group(1)
        yield System(tango_host, state)
    finally:
        tutorial("down", "--state-dir", state)


def run(args: list[str], folder: Path, system: System) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=folder,
        env=environment(system.tango_host),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# -- output -------------------------------------------------------------------------------------


def assert_shows(shown: tuple[str, ...], printed: list[str], what: str) -> None:
    """`shown` is `printed`, where a `[...]` line stands for any lines left out."""
    chunks: list[list[str]] = [[]]
    for line in shown:
        if line == LEFT_OUT:
            chunks.append([])
        else:
            chunks[-1].append(line)
    if len(chunks) == 1:
        assert list(shown) == printed, f"{what} prints other lines than shown"
        return
    position = 0
    for number, chunk in enumerate(chunks):
        if not chunk:
            continue
        found = next(
            (
                start
                for start in range(position, len(printed) - len(chunk) + 1)
                if printed[start : start + len(chunk)] == chunk
            ),
            None,
        )
        assert found is not None, f"{what} does not print, in this order:\n" + "\n".join(chunk)
        assert number > 0 or found == 0, f"{what} prints other lines first"
        position = found + len(chunk)
    assert not chunks[-1] or position == len(printed), f"{what} prints more lines after"


# -- tests: the build ---------------------------------------------------------------------------


def test_the_docs_build_without_warnings(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
        + [str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    for page in [*PAGES, DOCS / "tutorial.md"]:
        html = tmp_path / "html" / page.relative_to(DOCS).with_suffix(".html")
        assert html.is_file(), f"{page_id(page)} was not built"


def test_the_makefile_builds_the_docs() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^\.PHONY:.*\bdocs\b", makefile, re.MULTILINE)
    assert "$(BIN)/sphinx-build -W --keep-going -b html docs build/docs" in makefile


# -- tests: command lines -----------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_command_line_is_accepted(page: Path) -> None:
    for command in page_commands(page):
        check_line(command.line, page)
    for block in scripts(page).values():
        text = re.sub(r"\\\n", " ", block.text)
        for line in text.splitlines():
            for words in segments(line):
                if words[0] in (MONITOR, TUTORIAL):
                    check_words(words, page)
    for block in blocks(page):
        if block.language == "yaml":
            for line in re.findall(r"^\s+- (.+)$", block.text, re.MULTILINE):
                check_line(line, page)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_option_mentioned_exists(page: Path) -> None:
    from ska_tango_event_monitor.tutorial.arguments import build_parser

    known = cli.build_parser().format_help() + str(OTHER_OPTIONS)
    tutorial_parser = build_parser()
    for action in tutorial_parser._actions:
        for subparser in getattr(action, "choices", None) or {}:
            known += action.choices[subparser].format_help()
    mentioned = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*[a-z]", page.read_text()))
    missing = {option for option in mentioned if not re.search(rf"{option}\b", known)}
    assert not missing, f"{page_id(page)} mentions options no tool has: {sorted(missing)}"


# -- tests: the examples run --------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_examples_run(page: Path, system: System, tmp_path: Path) -> None:
    folder = working_folder(tmp_path / "work")
    last_output: list[str] = []
    for block in blocks(page):
        if block.language == "console":
            listed = commands(block)
            for command, after in zip(listed, [*listed[1:], None], strict=True):
                status = int(after.output[0]) if after and after.line == "echo $?" else 0
                if finishes(command.line):
                    run_command(command, folder, system, status)
        elif block.marker.startswith("file:"):
            (folder / block.marker.split(":", 1)[1].strip()).write_text(block.text)
        elif block.language == "python" and block.marker != "not-run":
            last_output = run_python(block, folder, system)
        elif block.marker == "output":
            assert block.text.splitlines() == last_output, f"{where(block)}: not what it prints"


def run_command(command: Command, folder: Path, system: System, status: int) -> None:
    done = run(["bash", "-c", command.line], folder, system)
    what = f"{where(command.block)}: `{command.line}`"
    assert done.returncode == status, f"{what} exits with {done.returncode}: {done.stderr}"
    if command.output:
        assert_shows(command.output, done.stdout.splitlines(), what)


def run_python(block: Block, folder: Path, system: System) -> list[str]:
    name = f"snippet_{block.line}.py"
    if block.marker == "pytest":
        name = f"test_{name}"
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name]
    else:
        args = [sys.executable, name]
    (folder / name).write_text(block.text)
    done = run(args, folder, system)
    assert done.returncode == 0, f"{where(block)} fails:\n{done.stdout}{done.stderr}"
    return done.stdout.splitlines()


@pytest.mark.integration
@pytest.mark.timeout(120)
def test_record_events_script_records_a_scan(system: System, tmp_path: Path) -> None:
    from ska_tango_event_monitor.recording import read_recording

    page = DOCS / "how-to" / "record-in-ci-and-kubernetes.md"
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "record-events.sh").write_text(scripts(page)["record-events.sh"].text)
    scan = [script(TUTORIAL), "scan", "--state-dir", str(system.state_dir)]
    done = run(["sh", "record-events.sh", *scan], folder, system)
    report = (folder / "events.txt").read_text()
    assert done.returncode == 0, done.stdout + done.stderr + report
    assert "succeeded" in done.stdout
    snapshots = list(read_recording(folder / "events.jsonl.gz"))
    assert len(snapshots) >= 2
    assert {"dserver/MyServer/hw", "dserver/MyServer/top"} <= {
        poll.admin for poll in snapshots[0].polls
    }
    assert "=Summary=" in report and (folder / "events.html").is_file()


# -- tests: pytango names -----------------------------------------------------------------------


def test_the_pytango_names_the_pages_use_exist() -> None:
    """`tango.EventSubMode.AsyncRead`, `EventReason.SubFail`, ... as pytango 10.3 spells them."""
    import tango

    text = "\n".join(page.read_text() for page in [*PAGES, DOCS / "tutorial.md"])
    used = set(re.findall(r"\b(EventSubMode|EventReason)\.(\w+)", text))
    assert {"EventSubMode", "EventReason"} <= {kind for kind, _ in used}
    for kind, name in used:
        assert name in getattr(tango, kind).names, f"tango.{kind}.{name}"
    for page in PAGES:
        for found in re.finditer(r"stateless=True", page.read_text()):
            before = page.read_text()[max(0, found.start() - 100) : found.start()]
            assert "deprecated" in before, f"{page_id(page)} recommends stateless=True"


# -- tests: the symptom page --------------------------------------------------------------------

SYMPTOMS = DOCS / "symptoms.md"
SYMPTOM_TITLES = (
    "Events stop after about ten minutes",
    "`API_EventTimeout` every 10 s in Docker or Kubernetes",
    "A GUI freezes under event floods",
    "Events arrive late",
    "Duplicate callbacks",
)


def symptom_sections() -> dict[str, tuple[int, str]]:
    """Each `## ` section of the page: its first line (1-based) and its text."""
    lines = SYMPTOMS.read_text().splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("## ")] + [len(lines)]
    return {
        lines[start][3:]: (start + 1, "\n".join(lines[start:end]))
        for start, end in itertools.pairwise(starts)
    }


def test_every_symptom_says_what_shows_what_is_unseen_and_what_to_do() -> None:
    sections = symptom_sections()
    assert tuple(sections) == SYMPTOM_TITLES
    for title, (_, text) in sections.items():
        for part in ("**What the monitor shows", "**What it cannot see.**", "**What to do.**"):
            assert part in text, f"{title}: no {part}"


def test_every_symptom_has_an_example_that_runs() -> None:
    """A command that test_the_examples_run runs, or a program, in every section."""
    page_blocks = blocks(SYMPTOMS)
    for title, (first, text) in symptom_sections().items():
        last = first + text.count("\n")
        mine = [b for b in page_blocks if first <= b.line <= last]
        console = [b for b in mine if b.language == "console"]
        runs = [c for b in console for c in commands(b) if finishes(c.line)]
        programs = [b for b in mine if b.language == "python" and b.marker != "not-run"]
        assert runs or programs, f"{title}: no example that the tests run"


def test_the_symptom_page_is_in_the_toctree() -> None:
    index = (DOCS / "index.md").read_text()
    assert re.search(r"^symptoms$", index, re.MULTILINE) and "(symptoms.md)" in index


# -- tests: the output reference names everything -----------------------------------------------


@cache
def reference() -> str:
    return OUTPUT_REFERENCE.read_text()


def source(module: str) -> str:
    """The source of a module, or of all the modules of a package."""
    path = REPO / "src" / "ska_tango_event_monitor" / module
    files = sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return "\n".join(file.read_text() for file in files)


def test_every_section_of_the_report_is_explained() -> None:
    from ska_tango_event_monitor.outputs.text import _SUBSCRIPTION_CHANGE_LABELS

    titles = re.findall(r'_(?:table_)?section\(\s*"([^"]+)"', source("outputs/text"))
    assert len(titles) >= 9
    for title in titles:
        assert f"`- {title}`" in reference(), title
    for text in ("- Error: ", "- Answering again after ", "none: nothing unusual was seen"):
        assert text in source("outputs/text") and text in reference(), text
    for label in _SUBSCRIPTION_CHANGE_LABELS.values():
        assert f"`{label}`" in reference(), label


def test_every_table_row_and_column_is_explained() -> None:
    from ska_tango_event_monitor.outputs.text import TABLE_COLUMNS

    rows = re.findall(r'(?:timing|count)_row\(\s*"([^"]+)"', source("core/performance"))
    rows += ["<attribute> Processing Time"]
    for row in rows:
        assert f"| `{row}` |" in reference(), row
    for column in TABLE_COLUMNS:
        assert f"`{column}`" in reference(), column


def test_every_top_column_is_explained() -> None:
    from ska_tango_event_monitor.outputs.top.table import COLUMNS

    for column in COLUMNS:
        assert f"| `{column.title}` |" in reference(), column.title


def test_every_finding_kind_is_explained() -> None:
    kinds = re.findall(r'Severity\.(\w+),\s*"([a-z ]+)"', source("core/findings"))
    assert len({kind for _, kind in kinds}) >= 13
    for severity, kind in kinds:
        entry = re.search(rf"^`{kind}` \((.*)\)$", reference(), re.MULTILINE)
        assert entry and severity in entry.group(1), f"{severity} {kind}"


def test_every_exit_code_is_explained() -> None:
    rows = dict(re.findall(r"^\| (\d) \| (.+) \|$", reference(), re.MULTILINE))
    assert sorted(map(int, rows)) == sorted(ExitStatus)


def test_every_recording_and_json_key_is_explained(tmp_path: Path) -> None:
    from ska_tango_event_monitor.core.session import ServerPoll, Snapshot
    from ska_tango_event_monitor.recording import snapshot_to_json

    polls = (ServerPoll("a", ("d",), reply={}, duration_s=0.1), ServerPoll("b", (), error="e"))
    line = snapshot_to_json(Snapshot(datetime(2026, 1, 1), polls))
    keys = set(line) | {key for server in line["servers"] for key in server}
    for key in keys:
        assert f"| `{key}` |" in reference(), key
    done = subprocess.run(
        [sys.executable, "-m", "ska_tango_event_monitor", "--format", "json"]
        + ["--replay", str(DATA / RECORDINGS["events.jsonl.gz"]), "--count", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    *snapshots, summary = map(json.loads, done.stdout.splitlines())
    server = snapshots[-1]["servers"][0]
    keys = {*snapshots[-1], *server, *server["diff"], *summary["summary"]}
    keys |= set(server["server_performance"]["rows"][0]["summary"])
    for key in keys:
        assert f"`{key}`" in reference() or f'"{key}"' in reference(), key


def test_every_prometheus_metric_is_explained() -> None:
    from ska_tango_event_monitor.prometheus.collector import HELP

    for name in HELP:
        assert f"| `{name}` |" in reference(), name
