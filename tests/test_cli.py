"""The command line, in process: usage errors, --version, --help and option aliases."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import run_cli
from ska_tango_event_monitor import __version__
from ska_tango_event_monitor.cli.main import DEFAULT_PERIOD_S, DEFAULT_TIMEOUT_S, parse_args

PREFIX = "ska-tango-event-monitor: error:"

USAGE_ERRORS = {
    "period zero": (["--polling-period", "0", "a/b/c"], "above 0"),
    "period negative": (["--polling-period", "-1", "a/b/c"], "above 0"),
    "period not a number": (["--polling-period", "abc", "a/b/c"], "not a number"),
    "period infinite": (["--polling-period", "inf", "a/b/c"], "above 0"),
    "period nan": (["--polling-period", "nan", "a/b/c"], "above 0"),
    "timeout zero": (["--timeout", "0", "a/b/c"], "above 0"),
    "timeout above default period": (["--timeout", "20", "a/b/c"], "longer than"),
    "timeout above period": (["--polling-period", "2", "--timeout", "2.5", "a/b/c"], "longer"),
    "count negative": (["--count", "-1", "a/b/c"], "0 or more"),
    "count not whole": (["--count", "1.5", "a/b/c"], "not a whole number"),
    "append without output": (["--append", "a/b/c"], "--append needs --output"),
    "unknown option": (["--frobnicate", "a/b/c"], "unrecognized arguments"),
    "no device": ([], "DEVICE"),
    "no device with options": (["--monitor", "--count", "1"], "DEVICE"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    args, reason = USAGE_ERRORS[case]
    status, out, err = run_cli(*args)

    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(PREFIX)
    assert reason in lines[0]
    assert "Traceback" not in err
    assert out == ""
    # everything went to the injected streams, nothing to the process's own
    assert capsys.readouterr() == ("", "")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli("--version")
    assert status == 0
    assert out == f"ska-tango-event-monitor {__version__}\n"
    assert err == ""
    assert capsys.readouterr() == ("", "")


def test_help_shows_the_example_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    status, text, err = run_cli("--help")
    assert status == 0
    assert err == ""
    assert capsys.readouterr() == ("", "")
    assert text.startswith("usage: ska-tango-event-monitor ")
    assert "export TANGO_HOST=localhost:10000" in text
    assert (
        "ska-tango-event-monitor --monitor --polling-period 5 -o events.jsonl.gz "
        "foo/bar/hw foo/bar/top"
    ) in text
    flat = " ".join(text.split())
    assert "exit codes: 0 done or interrupted, 1 unexpected failure, 2 bad command line" in flat
    for code in (
        "3 no TANGO_HOST or database unreachable",
        "4 unknown device",
        "5 server without QueryEventSystem (Tango < 10.1)",
        "6 recording, --report, --graph or --prometheus-textfile not writable",
    ):
        assert code in flat
    for option in ("--polling-period", "--poll-period", "--monitor", "--monitor-perf", "-m"):
        assert option in text
    for option in ("--output", "--append", "--count", "--timeout", "--version"):
        assert option in text


def test_defaults() -> None:
    options = parse_args(["foo/bar/hw"])
    assert options.devices == ["foo/bar/hw"]
    assert options.polling_period == DEFAULT_PERIOD_S == 10
    assert options.timeout == DEFAULT_TIMEOUT_S == 3
    assert options.monitor is False
    assert options.output is None and options.append is False
    assert options.count == 0


@pytest.mark.parametrize("flag", ["--polling-period", "--poll-period"])
def test_polling_period_aliases(flag: str) -> None:
    options = parse_args([flag, "2.5", "a/b/c"])
    assert options.polling_period == 2.5


@pytest.mark.parametrize("flag", ["-m", "--monitor", "--monitor-perf"])
def test_monitor_aliases(flag: str) -> None:
    assert parse_args([flag, "a/b/c"]).monitor is True


def test_timeout_defaults_to_a_shorter_period() -> None:
    assert parse_args(["--polling-period", "0.5", "a/b/c"]).timeout == 0.5
    assert parse_args(["--polling-period", "5", "a/b/c"]).timeout == 3


def test_timeout_equal_to_the_period_is_allowed() -> None:
    options = parse_args(["--polling-period", "20", "--timeout", "20", "a/b/c"])
    assert options.timeout == options.polling_period == 20


def test_output_append_count_and_several_devices() -> None:
    options = parse_args(
        ["-o", "x.jsonl.gz", "-a", "--count", "3", "foo/bar/hw", "dserver/MyServer/top"]
    )
    assert options.output == Path("x.jsonl.gz")
    assert options.append is True
    assert options.count == 3
    assert options.devices == ["foo/bar/hw", "dserver/MyServer/top"]
