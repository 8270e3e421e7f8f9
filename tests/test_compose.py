"""docker-compose.yml, Dockerfile, prefect.yaml and .env.example agree with each other.

Most of these read the files: services, ports, env vars, image tags and versions must be wired
consistently, checked on the compose file rendered with .env.example (by `docker compose config` where
the compose plugin exists, else by the same ${VAR} substitution here). One slow test starts a real
`mlflow server` with the compose file's allowed hosts and sends it the worker's Host header; where a
Docker engine runs, another brings the whole stack up and runs the tiny flow through the worker.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    pairs = [line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return {k.strip(): v.strip() for k, v in pairs}


def _has_compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


def _interpolate(value, env: dict[str, str]):
    """Compose's substitution: ${VAR}, ${VAR:-default}, ${VAR-default}; $$ is a literal $."""
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def sub(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name, op, default = m.group(1), m.group(2), m.group(3) or ""
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        assert name in env, f"${{{name}}} is not in .env.example"
        return env[name]

    return re.sub(r"\$\$|\$\{(\w+)(?:(:?-)([^}]*))?\}", sub, value)


@pytest.fixture(scope="module")
def rendered(compose, env_example) -> dict:
    """The compose file with .env.example applied: `docker compose config` where it exists, else ours."""
    if _has_compose_plugin():
        out = subprocess.run(["docker", "compose", "--env-file", str(REPO / ".env.example"), "-f",
                              str(REPO / "docker-compose.yml"), "config", "--format", "json"],
                             capture_output=True, text=True, check=True)
        return json.loads(out.stdout)
    return _interpolate(compose, env_example)


def _cmd(value) -> str:
    return " ".join(value) if isinstance(value, list) else " ".join(str(value).split())


def _dockerfile_stages() -> dict[str, str]:
    """Stage name -> its base image, ARG defaults declared before the first FROM applied."""
    text = (REPO / "Dockerfile").read_text()
    head = text.split("\nFROM ", 1)[0]
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", head, flags=re.M))
    stages = {}
    for base, name in re.findall(r"^FROM (\S+) AS (\S+)$", text, flags=re.M):
        stages[name] = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    return stages


def _assert_pinned(image: str, where: str) -> None:
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{where}: {image} has no tag"
    assert tag != "latest", f"{where}: {image} is latest"
    # A version, not a moving major tag: 16.13, 3.7.7-python3.11, 3.11.15-slim-bookworm, RELEASE.<date>.
    assert re.match(r"(\d+\.\d+|RELEASE\.\d{4}-\d\d-\d\dT)", tag), f"{where}: {image} is not a pinned version"


def test_services(compose):
    assert {"postgres", "minio", "minio-init", "prefect-server", "mlflow", "worker", "worker-gpu"} <= set(
        compose["services"]
    )


def test_every_variable_is_in_env_example(env_example):
    text = (REPO / "docker-compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{(\w+)\}", text))
    assert used, "compose uses no variables?"
    assert used <= set(env_example), f"missing in .env.example: {sorted(used - set(env_example))}"


def test_ports_bind_to_loopback_only(compose):
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} beyond 127.0.0.1"


def test_long_running_services_have_healthchecks(compose):
    for name in ("postgres", "minio", "prefect-server", "mlflow"):
        assert "test" in compose["services"][name]["healthcheck"], name


def test_dependencies_wait_for_health(compose):
    s = compose["services"]
    assert s["prefect-server"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert s["mlflow"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert s["mlflow"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert s["worker"]["depends_on"]["prefect-server"]["condition"] == "service_healthy"
    assert s["worker"]["depends_on"]["mlflow"]["condition"] == "service_healthy"


def _container_port(svc: dict) -> str:
    return str(svc["ports"][0]).rsplit(":", 1)[1]


def test_worker_points_at_the_servers(compose):
    s = compose["services"]
    env = s["worker"]["environment"]
    assert env["PREFECT_API_URL"] == f"http://prefect-server:{_container_port(s['prefect-server'])}/api"
    assert env["MLFLOW_TRACKING_URI"] == f"http://mlflow:{_container_port(s['mlflow'])}"
    assert "--port 4200" in s["prefect-server"]["command"] and _container_port(s["prefect-server"]) == "4200"
    assert "--port 5000" in s["mlflow"]["command"] and _container_port(s["mlflow"]) == "5000"


def test_mlflow_uses_postgres_and_minio(compose):
    s = compose["services"]
    cmd = " ".join(s["mlflow"]["command"].split())
    assert "--backend-store-uri postgresql://${POSTGRES_USER}:${POSTGRES_PASSWORD}@postgres:5432/${MLFLOW_DB}" in cmd
    assert "--artifacts-destination s3://${MLFLOW_BUCKET}/" in cmd and "--workers 1" in cmd
    env = s["mlflow"]["environment"]
    assert env["MLFLOW_S3_ENDPOINT_URL"] == f"http://minio:{_container_port(s['minio'])}"
    assert env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert env["AWS_ACCESS_KEY_ID"] == "${MINIO_ROOT_USER}"
    assert "${MLFLOW_BUCKET}" not in s["minio-init"]["entrypoint"]  # read from its env at run time
    assert s["minio-init"]["environment"]["MLFLOW_BUCKET"] == "${MLFLOW_BUCKET}"
    assert "postgres:5432/${PREFECT_DB}" in s["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    # MLflow's database is created by the init script postgres runs on first start.
    assert s["postgres"]["environment"]["MLFLOW_DB"] == "${MLFLOW_DB}"
    assert "CREATE DATABASE" in compose["configs"]["create-mlflow-db"]["content"]


def test_gpu_worker_reserves_an_nvidia_device(compose):
    gpu = compose["services"]["worker-gpu"]
    assert gpu["extends"]["service"] == "worker" and gpu["profiles"] == ["gpu"]
    device = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]


def test_worker_tables_are_in_minio(compose, rendered, env_example):
    """The worker's tables_uri (DRIFT_TABLES_URI) is in the bucket minio-init creates, reached at MinIO with
    its keys through the standard AWS variables; the worker image has s3fs (the `s3` extra)."""
    s = compose["services"]
    env = s["worker"]["environment"]
    assert env["DRIFT_TABLES_URI"] == "${DRIFT_TABLES_URI}"
    assert env["AWS_ENDPOINT_URL"] == f"http://minio:{_container_port(s['minio'])}"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == ("${MINIO_ROOT_USER}", "${MINIO_ROOT_PASSWORD}")
    assert s["worker"]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert "local/$$DRIFT_TABLES_BUCKET" in s["minio-init"]["entrypoint"]
    assert s["minio-init"]["environment"]["DRIFT_TABLES_BUCKET"] == "${DRIFT_TABLES_BUCKET}"
    uri = rendered["services"]["worker"]["environment"]["DRIFT_TABLES_URI"]
    assert uri.startswith(f"s3://{env_example['DRIFT_TABLES_BUCKET']}/")
    from drift_core.config import load_config

    assert load_config(overrides=[f"tables_uri={uri}"]).tables_uri == uri  # a valid tables_uri
    assert 'pip install -e ".[s3]"' in (REPO / "Dockerfile").read_text()


def test_dockerfile_targets_and_work_pool_match(compose, env_example):
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, flags=re.M))
    for name, svc in compose["services"].items():
        if "build" in svc:
            assert svc["build"]["target"] in stages, name
    for path in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M):
        assert (REPO / path).exists(), f"Dockerfile copies missing {path}"
    # Every top-level package setup.py installs is copied into the image (a new package must be added there too).
    copied = set(re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M))
    packages = re.search(r"find_packages\(include=\[([^\]]*)\]", (REPO / "setup.py").read_text())[1]
    for name in re.findall(r'"(\w+)\*"', packages):
        assert name in copied, f"Dockerfile does not copy the package {name}"
    # ... and so is every data folder it installs under another name (sql/ as drift_sql, worlds/ ...).
    for folder in re.findall(r'"drift_\w+": "(\w+)"', (REPO / "setup.py").read_text()):
        assert folder in copied, f"Dockerfile does not copy the data folder {folder}"
    deploy = yaml.safe_load((REPO / "prefect.yaml").read_text())
    pool = deploy["deployments"][0]["work_pool"]["name"]
    assert pool == env_example["DRIFT_WORK_POOL"]
    assert "${DRIFT_WORK_POOL}" in compose["services"]["worker"]["command"]
    assert f"--pool {pool}" in dockerfile.replace('", "', " ")


def test_prefect_yaml_entrypoint_is_the_flow():
    deploy = yaml.safe_load((REPO / "prefect.yaml").read_text())
    for d in deploy["deployments"]:
        path, func = d["entrypoint"].split(":")
        assert (REPO / path).is_file()
        assert f"def {func}(" in (REPO / path).read_text()


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI")
def test_docker_compose_config(tmp_path):
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("docker compose plugin not installed")
    out = subprocess.run(["docker", "compose", "--env-file", str(REPO / ".env.example"), "-f",
                          str(REPO / "docker-compose.yml"), "config", "--quiet"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# -- issue 17: a stack that works when started --------------------------------------------------------


def test_every_image_is_pinned(compose, rendered):
    stages = _dockerfile_stages()
    for name, svc in rendered["services"].items():
        if "build" in svc:
            target = svc["build"]["target"]
            _assert_pinned(stages[target], f"{name} (Dockerfile stage {target})")
        elif "image" in svc:
            _assert_pinned(svc["image"], name)
        else:
            assert "extends" in compose["services"][name], f"{name} has neither image nor build"


def _allowed_hosts(svc: dict) -> list[str]:
    """mlflow server's allowed Host headers, from --allowed-hosts or MLFLOW_SERVER_ALLOWED_HOSTS."""
    m = re.search(r"--allowed-hosts[ =](\S+)", _cmd(svc["command"]))
    value = m.group(1) if m else svc["environment"]["MLFLOW_SERVER_ALLOWED_HOSTS"]
    return [h.strip() for h in value.strip("'\"").split(",")]


def _host_allowed(allowed: list[str], host: str) -> bool:
    # mlflow.server.security_utils.is_allowed_host_header (the slow test below asks the real server).
    return "*" in allowed or any(fnmatch.fnmatch(host, a) if "*" in a else host == a for a in allowed)


def test_mlflow_allows_the_service_hostnames(rendered, env_example):
    s = rendered["services"]
    allowed = _allowed_hosts(s["mlflow"])
    assert "*" not in allowed, "keep the DNS-rebinding protection: list the hosts"
    worker_host = urlsplit(s["worker"]["environment"]["MLFLOW_TRACKING_URI"]).netloc
    port = env_example["MLFLOW_PORT"]
    for host in (worker_host, "mlflow", "localhost:5000", f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1"):
        assert _host_allowed(allowed, host), f"mlflow refuses Host: {host} (allowed: {allowed})"
    # Its health check goes through the Host check too (/health alone is exempt from it).
    probe = " ".join(s["mlflow"]["healthcheck"]["test"])
    assert "/api/2.0/mlflow/" in probe and f"'Host': '{worker_host}'" in probe


def test_worker_clients_are_the_servers_versions(compose, rendered, env_example):
    s = rendered["services"]
    mlflow_v, prefect_v = env_example["MLFLOW_VERSION"], env_example["PREFECT_VERSION"]
    assert compose["services"]["mlflow"]["build"]["args"]["MLFLOW_VERSION"] == "${MLFLOW_VERSION}"
    assert compose["services"]["worker"]["build"]["args"]["MLFLOW_VERSION"] == "${MLFLOW_VERSION}"
    assert compose["services"]["worker"]["build"]["args"]["PREFECT_VERSION"] == "${PREFECT_VERSION}"
    assert s["mlflow"]["build"]["args"]["MLFLOW_VERSION"] == s["worker"]["build"]["args"]["MLFLOW_VERSION"] == mlflow_v
    assert s["prefect-server"]["image"] == f"prefecthq/prefect:{prefect_v}-python3.11"
    dockerfile = (REPO / "Dockerfile").read_text()
    mlflow_stage, worker_stage = dockerfile.split("\nFROM ")[1:3]
    assert '"mlflow==${MLFLOW_VERSION}"' in mlflow_stage
    # The worker pins both clients with a pip constraint (pyproject keeps ranges for users).
    assert "PIP_CONSTRAINT=/etc/drift-constraints.txt" in worker_stage
    assert "mlflow==%s\\nprefect==%s\\n" in worker_stage and '"${MLFLOW_VERSION}" "${PREFECT_VERSION}"' in worker_stage
    for stage in (mlflow_stage, worker_stage):
        assert "ARG MLFLOW_VERSION\n" in stage
    assert "ARG PREFECT_VERSION\n" in worker_stage
    # Building without compose gives the same versions; pyproject's ranges admit them.
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile.split("\nFROM ", 1)[0], flags=re.M))
    assert defaults["MLFLOW_VERSION"] == mlflow_v and defaults["PREFECT_VERSION"] == prefect_v
    from packaging.requirements import Requirement

    deps = {Requirement(d).name: Requirement(d) for d in _pyproject()["project"]["dependencies"]}
    assert mlflow_v in deps["mlflow"].specifier and prefect_v in deps["prefect"].specifier
    assert yaml.safe_load((REPO / "prefect.yaml").read_text())["prefect-version"] == prefect_v


def _pyproject() -> dict:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_postgres_is_health_checked_over_tcp(rendered):
    probe = " ".join(rendered["services"]["postgres"]["healthcheck"]["test"])
    assert "pg_isready -h 127.0.0.1 -p 5432 " in probe


def test_workspace_comes_from_env(compose, rendered, env_example, monkeypatch):
    """prefect.yaml takes the workspace from $DRIFT_WORKSPACE at deploy time; the worker has it set."""
    from prefect.utilities.templating import apply_values

    worker = rendered["services"]["worker"]
    assert compose["services"]["worker"]["environment"]["DRIFT_WORKSPACE"] == "${DRIFT_WORKSPACE}"
    workspace = worker["environment"]["DRIFT_WORKSPACE"]
    assert workspace == env_example["DRIFT_WORKSPACE"]
    mounts = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in worker["volumes"]]
    assert any(workspace.startswith(m.rstrip("/") + "/") for m in mounts), f"{workspace} is not on a volume"

    # What `prefect deploy` does first (prefect/cli/deploy/_core.py): env placeholders from os.environ.
    monkeypatch.setenv("DRIFT_WORKSPACE", workspace)
    monkeypatch.setenv("DRIFT_REPO", "/opt/drift")
    raw = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deploy = apply_values(raw, dict(os.environ), remove_notset=False)
    assert deploy["deployments"][0]["parameters"]["overrides"] == [f"workspace={workspace}/tiny"]
    assert deploy["pull"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == "/opt/drift"
    assert "{{" not in json.dumps(deploy)
    # The worker image sets DRIFT_REPO to where it copies the project.
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "DRIFT_REPO=/opt/drift" in dockerfile and "WORKDIR /opt/drift" in dockerfile
    assert "COPY prefect.yaml ./" in dockerfile


@pytest.mark.slow
def test_mlflow_server_accepts_the_worker_host(rendered, tmp_path, monkeypatch):
    """A real `mlflow server` (the venv's, the image's version) with the compose file's allowed hosts
    answers `Host: mlflow:5000`; with MLflow's defaults it answers 403 (the reported failure)."""
    from drift_core.testing.servers import start_mlflow

    s = rendered["services"]
    worker_host = urlsplit(s["worker"]["environment"]["MLFLOW_TRACKING_URI"]).netloc
    probe = s["mlflow"]["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "-c"]

    def status(url: str) -> int:
        req = urllib.request.Request(f"{url}/api/2.0/mlflow/experiments/search?max_results=1",
                                     headers={"Host": worker_host})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code

    def health_check(url: str) -> subprocess.CompletedProcess:
        """The compose health check's command, pointed at this server."""
        code = probe[3].replace("localhost:5000", f"127.0.0.1:{urlsplit(url).port}")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)

    monkeypatch.setenv("MLFLOW_SERVER_ALLOWED_HOSTS", ",".join(_allowed_hosts(s["mlflow"])))
    server = start_mlflow(tmp_path / "allowed")
    try:
        assert status(server.url) == 200
        assert health_check(server.url).returncode == 0, health_check(server.url).stderr
    finally:
        server.stop()

    monkeypatch.delenv("MLFLOW_SERVER_ALLOWED_HOSTS")
    server = start_mlflow(tmp_path / "default")
    try:
        assert status(server.url) == 403
        assert "403" in health_check(server.url).stderr  # the health check sees what the worker would
    finally:
        server.stop()


def _docker_engine() -> bool:
    if not _has_compose_plugin():
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _docker_engine(), reason="no Docker engine with the compose plugin")
def test_compose_stack_runs_the_tiny_flow(tmp_path):
    """`docker compose up`, deploy from the worker, run drift-tiny through it; the run lands in MLflow."""
    from drift_core.testing.servers import free_port

    env = {k: v for k, v in (line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines()
                             if line.strip() and not line.startswith("#"))}
    ports = {k: str(free_port()) for k in ("PREFECT_PORT", "MLFLOW_PORT", "MINIO_PORT", "MINIO_CONSOLE_PORT")}
    env |= ports | {"DRIFT_TINY_WORLD_SIZE": "test"}
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    project = f"drift-test-{uuid.uuid4().hex[:8]}"
    compose = ["docker", "compose", "-p", project, "--env-file", str(env_file), "-f", str(REPO / "docker-compose.yml")]

    def run(*args: str, timeout: float = 600) -> str:
        out = subprocess.run([*compose, *args], capture_output=True, text=True, timeout=timeout)
        assert out.returncode == 0, f"{' '.join(args)}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
        return out.stdout

    try:
        run("up", "-d", "--build", timeout=3600)
        deadline = time.monotonic() + 300
        while True:
            state = run("ps", "--format", "{{.Service}} {{.State}} {{.Health}}")
            if "worker running" in state and all(
                f"{svc} running healthy" in state for svc in ("postgres", "minio", "prefect-server", "mlflow")
            ):
                break
            assert time.monotonic() < deadline, f"stack not healthy:\n{state}\n{run('logs', '--tail', '50')}"
            time.sleep(5)
        run("exec", "-T", "worker", "prefect", "--no-prompt", "deploy", "--all")
        flow = subprocess.run([*compose, "exec", "-T", "worker", "prefect", "deployment", "run",
                               "drift-pipeline/drift-tiny", "--watch", "--watch-timeout", "1800"],
                              capture_output=True, text=True, timeout=2000)
        assert flow.returncode == 0 and "Completed" in flow.stdout, (
            flow.stdout[-3000:] + flow.stderr[-2000:] + run("logs", "--tail", "100", "worker"))
        # The worker's run reached the MLflow server (Host: mlflow:5000 accepted) and is read from the host.
        api = f"http://127.0.0.1:{ports['MLFLOW_PORT']}/api/2.0/mlflow"
        with urllib.request.urlopen(f"{api}/experiments/search?max_results=100", timeout=10) as resp:
            ids = [e["experiment_id"] for e in json.load(resp).get("experiments", [])]
        req = urllib.request.Request(f"{api}/runs/search", data=json.dumps({"experiment_ids": ids}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            runs = json.load(resp).get("runs", [])
        assert runs and all(r["info"]["status"] == "FINISHED" for r in runs), runs
        # The workspace came from .env through prefect.yaml.
        run("exec", "-T", "worker", "test", "-d", f"{env['DRIFT_WORKSPACE']}/tiny")
        # Its tables went to MinIO (DRIFT_TABLES_URI), recorded in the workspace, none on the volume.
        run("exec", "-T", "worker", "test", "-f", f"{env['DRIFT_WORKSPACE']}/tiny/tables.json")
        run("exec", "-T", "worker", "test", "!", "-e", f"{env['DRIFT_WORKSPACE']}/tiny/tables")
    finally:
        subprocess.run([*compose, "down", "-v", "--remove-orphans"], capture_output=True, timeout=300)
