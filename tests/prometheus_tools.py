"""Prometheus' own programs for the tests: Debian's `prometheus` package (`prometheus`,
`promtool`), skipped when missing unless REQUIRE_PROMETHEUS=1 (as in CI, which installs it);
the package's rules; `promtool test rules` on a `Timeline`, with the expected alerts'
annotations rendered from the rules' templates as Prometheus renders them."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from exposition_series import Timeline

RULES = Path(__file__).resolve().parents[1] / "src/ska_tango_event_monitor/prometheus/rules.yaml"


def prometheus_program(name: str) -> str:
    """The path of `prometheus` or `promtool`; a skip without it, or a failure in CI."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (apt-get install prometheus)"
    if os.environ.get("REQUIRE_PROMETHEUS") == "1":
        pytest.fail(f"REQUIRE_PROMETHEUS=1 but {message}")
    pytest.skip(f"{message}; with REQUIRE_PROMETHEUS=1 this is a failure")


# --- Prometheus' template functions, for the values the rules' annotations show -------------


def humanize(value: float) -> str:
    """Go's `humanize`: 583, 1.234k, 12.5m (for the values the tests meet)."""
    if value == 0 or not math.isfinite(value):
        return f"{value:.4g}"
    prefixes = ["", "k", "M", "G", "T"] if abs(value) >= 1 else ["", "m", "u", "n", "p"]
    for prefix in prefixes:
        if 1 <= abs(value) < 1000 or prefix == prefixes[-1]:
            return f"{value:.4g}{prefix}"
        value = value / 1000 if abs(value) >= 1000 else value * 1000
    raise AssertionError("unreachable")


def humanize_percentage(value: float) -> str:
    return f"{value * 100:.4g}%"


def humanize_duration(seconds: float) -> str:
    """Go's `humanizeDuration` below one minute: 6.137s, 12.5ms."""
    assert abs(seconds) < 60, "only seconds and below are needed here"
    if abs(seconds) >= 1 or seconds == 0:
        return f"{seconds:.4g}s"
    return f"{seconds * 1e3:.4g}ms"


FUNCTIONS = {
    "humanize": humanize,
    "humanizePercentage": humanize_percentage,
    "humanizeDuration": humanize_duration,
}


def render(template: str, labels: Mapping[str, str], value: float) -> str:
    """An annotation as Prometheus renders it: `{{ $labels.x }}`, `{{ $value | f }}`."""

    def field(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if expression.startswith("$labels."):
            return labels[expression.removeprefix("$labels.")]
        name, _, function = (part.strip() for part in expression.partition("|"))
        assert name == "$value" and function in FUNCTIONS, expression
        return FUNCTIONS[function](value)

    return re.sub(r"\{\{(.*?)\}\}", field, template)


# --- the rules, and promtool's unit tests ---------------------------------------------------


def rule_groups() -> list[dict]:
    return yaml.safe_load(RULES.read_text())["groups"]


def alert_rules() -> dict[str, dict]:
    return {
        rule["alert"]: rule
        for group in rule_groups()
        for rule in group["rules"]
        if "alert" in rule
    }


@dataclass(frozen=True)
class Alert:
    """A firing alert as expected: the labels of its series, and its value."""

    labels: dict[str, str]
    value: float = 1.0


def expected_alerts(alerts: dict[str, list[Alert]], seconds: int) -> list[dict]:
    """promtool's alert_rule_test at `seconds`: every alert of the rules, none unless listed;
    the annotations are the rules' templates filled with the labels and the value."""
    rules = alert_rules()
    assert set(alerts) <= set(rules)
    return [
        {
            "eval_time": f"{seconds}s",
            "alertname": name,
            "exp_alerts": [
                {
                    "exp_labels": {**alert.labels, **rules[name]["labels"]},
                    "exp_annotations": {
                        key: render(template, alert.labels, alert.value)
                        for key, template in rules[name]["annotations"].items()
                    },
                }
                for alert in alerts.get(name, [])
            ],
        }
        for name in sorted(rules)
    ]


def promtool_test(
    tmp_path: Path,
    timeline: Timeline,
    interval: int,
    alerts: dict[int, dict[str, list[Alert]]],
    samples: dict[int, dict[str, list[tuple[str, float]]]] | None = None,
) -> None:
    """Run `promtool test rules` on `timeline` (one scrape every `interval` s): at each time
    (s) of `alerts`, exactly those alerts fire; each expression of `samples` gives those."""
    test = {
        "interval": f"{interval}s",
        "input_series": timeline.input_series(metrics_named(samples)),
        "alert_rule_test": [
            check
            for seconds, firing in alerts.items()
            for check in expected_alerts(firing, seconds)
        ],
        "promql_expr_test": [
            {
                "expr": expr,
                "eval_time": f"{seconds}s",
                "exp_samples": [{"labels": labels, "value": value} for labels, value in found],
            }
            for seconds, expressions in (samples or {}).items()
            for expr, found in expressions.items()
        ],
    }
    unit = {"rule_files": [str(RULES)], "evaluation_interval": f"{interval}s", "tests": [test]}
    path = tmp_path / "rules_test.yaml"
    path.write_text(yaml.safe_dump(unit, sort_keys=False))
    done = subprocess.run(
        [prometheus_program("promtool"), "test", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
    assert "SUCCESS" in done.stdout, done.stdout


def metrics_named(samples: dict[int, dict[str, list[tuple[str, float]]]] | None) -> set[str]:
    """The metrics that the rules and the expressions of `samples` read."""
    text = RULES.read_text() + "".join(
        expr for found in (samples or {}).values() for expr in found
    )
    return set(re.findall(r"\b(?:tango_event_\w+|up)\b", text))


def series_at(timeline: Timeline, step: int, name: str) -> dict[str, float]:
    """The `name` series of scrape `step`: their label text -> value."""
    scrape = timeline.scrapes[step] or {}
    return {series: value for series, value in scrape.items() if series.startswith(name + "{")}


def labels_of(series: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', series.split("{", 1)[1]))
