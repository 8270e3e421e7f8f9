"""docker-compose.yml, Dockerfile, prefect.yaml and .env.example agree with each other.

No Docker engine runs here, so these read the files: services, ports, env vars and names must be
wired consistently. `docker compose config` runs too where the compose plugin exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

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


def test_dockerfile_targets_and_work_pool_match(compose, env_example):
    dockerfile = (REPO / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM \S+ AS (\S+)$", dockerfile, flags=re.M))
    for name, svc in compose["services"].items():
        if "build" in svc:
            assert svc["build"]["target"] in stages, name
    for path in re.findall(r"^COPY (\S+) ", dockerfile, flags=re.M):
        assert (REPO / path).exists(), f"Dockerfile copies missing {path}"
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
