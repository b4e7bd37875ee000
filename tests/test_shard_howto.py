"""docs/how-to/shard-monitors.md: its Kubernetes example and its Prometheus configuration are
files the page includes; they are checked here (the page's command lines in test_docs.py)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from prometheus_tools import RULES, prometheus_program
from ska_tango_event_monitor import cli

HOW_TO = Path(__file__).resolve().parents[1] / "docs" / "how-to"
PAGE = HOW_TO / "shard-monitors.md"
KUBERNETES = HOW_TO / "kubernetes-monitor.yaml"
PROMETHEUS = HOW_TO / "prometheus-shards.yml"


def test_the_page_includes_the_files_and_is_in_the_toctree() -> None:
    text = PAGE.read_text()
    for included in (KUBERNETES, PROMETHEUS):
        assert f"```{{literalinclude}} {included.name}\n" in text, included.name
    index = (HOW_TO.parent / "index.md").read_text()
    assert re.search(r"^how-to/shard-monitors$", index, re.M)
    assert "(how-to/shard-monitors.md)" in index


def kubernetes_documents() -> dict[str, dict]:
    documents = list(yaml.safe_load_all(KUBERNETES.read_text()))
    assert len(documents) == 2
    return {document["kind"]: document for document in documents}


def test_the_kubernetes_example_runs_one_monitor_per_shard() -> None:
    deployment = kubernetes_documents()["Deployment"]
    assert deployment["apiVersion"] == "apps/v1"
    spec = deployment["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}, (
        "two pods of one shard would steal each other's samples"
    )
    assert spec["selector"]["matchLabels"] == spec["template"]["metadata"]["labels"]
    [container] = spec["template"]["spec"]["containers"]
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] >= 10
    assert {"name": "TANGO_HOST", "value": "tango-databaseds:10000"} in container["env"]


def test_the_kubernetes_command_line_parses() -> None:
    deployment = kubernetes_documents()["Deployment"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    program, *args = container["command"]
    assert program == "ska-tango-event-monitor"
    stdout, stderr = io.StringIO(), io.StringIO()
    options = cli.parse_args(args, cli.Environment(stdout=stdout, stderr=stderr))
    assert stderr.getvalue() == ""
    assert options.server == ["CSP*/*"] and options.monitor
    assert options.prometheus == "0.0.0.0:9100", "listens beyond the pod's loopback"


def test_the_service_and_its_scrape_annotations_reach_the_exporter() -> None:
    documents = kubernetes_documents()
    deployment, service = documents["Deployment"], documents["Service"]
    template = deployment["spec"]["template"]
    [container] = template["spec"]["containers"]
    [port] = container["ports"]
    exporter_port = int(
        container["command"][container["command"].index("--prometheus") + 1].rpartition(":")[2]
    )
    assert port == {"name": "metrics", "containerPort": exporter_port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/metrics", "port": "metrics"}
    assert service["apiVersion"] == "v1"
    assert service["spec"]["selector"] == template["metadata"]["labels"]
    [service_port] = service["spec"]["ports"]
    assert service_port["targetPort"] == port["name"]
    annotations = service["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(service_port["port"]),
        "prometheus.io/path": "/metrics",
    }


def test_promtool_accepts_the_prometheus_configuration(tmp_path: Path) -> None:
    """With the rules written out as the page says, next to the configuration."""
    config = yaml.safe_load(PROMETHEUS.read_text())
    assert config["rule_files"] == ["tango-event-rules.yaml"]
    assert "python -m ska_tango_event_monitor.prometheus.rules > tango-event-rules.yaml" in (
        PROMETHEUS.read_text() + PAGE.read_text()
    )
    shutil.copy(PROMETHEUS, tmp_path / PROMETHEUS.name)
    shutil.copy(RULES, tmp_path / "tango-event-rules.yaml")
    done = subprocess.run(
        [prometheus_program("promtool"), "check", "config", PROMETHEUS.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 1 rule files found" in done.stdout
    [job] = config["scrape_configs"]
    assert job["job_name"].startswith("tango-event-monitor"), "TangoEventMonitorDown's job name"
