"""The alerting and recording rules shipped with the package (prometheus/rules.yaml): where
they are, that the tutorial's Prometheus loads the same file, and what each alert names.
tests/test_promtool.py has Prometheus' own checks of them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from prometheus_tools import RULES, rule_groups
from ska_tango_event_monitor.prometheus.rules import rules_text

REPO = Path(__file__).resolve().parents[1]
TUTORIAL = REPO / "tutorial" / "diagnose-missing-events"


def test_the_rules_are_package_data() -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    package_data = re.search(r"^\[tool\.setuptools\.package-data\]\n(.+)$", pyproject, re.M)
    assert package_data and '"prometheus/rules.yaml"' in package_data.group(1)
    assert rules_text() == RULES.read_text()


def test_the_module_prints_the_rules() -> None:
    """`python -m ska_tango_event_monitor.prometheus.rules > tango-event-rules.yaml`"""
    done = subprocess.run(
        [sys.executable, "-m", "ska_tango_event_monitor.prometheus.rules"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == RULES.read_text()


def test_the_tutorial_copy_does_not_drift() -> None:
    assert (TUTORIAL / "rules.yaml").read_bytes() == RULES.read_bytes(), (
        "tutorial/diagnose-missing-events/rules.yaml is a copy of prometheus/rules.yaml"
    )


def test_the_tutorial_prometheus_loads_the_rules() -> None:
    config = yaml.safe_load((TUTORIAL / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules.yaml"]
    compose = yaml.safe_load((TUTORIAL / "compose.yaml").read_text())
    volumes = compose["services"]["prometheus"]["volumes"]
    # rule_files are relative to the configuration file: both in /etc/prometheus
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in volumes
    assert "./rules.yaml:/etc/prometheus/rules.yaml:ro" in volumes


# what each alert names from its labels: the stream and its subscriber, a server, a monitor
NAMED = {
    "TangoEventBacklogGrowing": ("server", "stream", "event_type", "publisher"),
    "TangoEventStreamFallingBehind": ("server", "stream", "event_type", "publisher"),
    "TangoEventStreamStalled": ("server", "stream", "event_type", "publisher"),
    "TangoEventStreamLagHigh": ("server", "stream", "event_type", "publisher"),
    "TangoEventMissedEvents": ("server", "stream", "event_type"),
    "TangoEventServerNotAnswering": ("server",),
    "TangoEventThreadSaturated": ("server",),
    "TangoEventCallbackLatencyHigh": ("server",),
    "TangoEventPublisherRestarted": ("server",),
    "TangoEventMonitorDown": ("instance",),
    "TangoEventMonitorStuck": ("instance",),
    "TangoEventMonitorAbsent": (),  # absent() has no labels
}


def test_every_alert_says_where_and_what_to_look_at_next() -> None:
    alerts = {
        rule["alert"]: rule
        for group in rule_groups()
        for rule in group["rules"]
        if "alert" in rule
    }
    assert set(alerts) == set(NAMED)
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        summary, description = rule["annotations"]["summary"], rule["annotations"]["description"]
        for label in NAMED[name]:
            assert f"{{{{ $labels.{label} }}}}" in description, (name, label)
        for label in NAMED[name][:2]:
            assert f"{{{{ $labels.{label} }}}}" in summary, (name, label)
        assert "Look at" in description, f"{name}: say what to look at next"
