"""Start real Prefect, MLflow and S3 (moto) servers on 127.0.0.1 for tests, and stop them with their children.

Each server runs in its own process group (start_new_session), so `stop` ends the server and
every worker it spawned (uvicorn workers, huey consumers) and leaves no orphans. Only subprocesses
here: drift_core itself never imports prefect or mlflow.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen
    log: Path

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            _signal_group(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        # The group may outlive its leader (workers); make sure nothing of it is left.
        _signal_group(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _start(name: str, cmd: list[str], env: dict, health: str, log: Path, timeout: float) -> Server:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(name, health.rsplit("/", 2)[0] if name == "prefect" else health.rsplit("/", 1)[0], proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} server exited ({proc.returncode}); log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(health, timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"{name} server not healthy after {timeout} s; log:\n{log.read_text()[-3000:]}")


def start_prefect(home: Path, timeout: float = 120.0) -> Server:
    """`prefect server start` on a free port with its own PREFECT_HOME; url is the API URL (…/api)."""
    port = free_port()
    env = os.environ | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
    }
    env.pop("PREFECT_API_URL", None)
    home.mkdir(parents=True, exist_ok=True)
    # Plain `prefect server start`, as the README tells users (tests/test_readme_examples.py checks that
    # the installed Prefect and FastAPI can mount the UI without help).
    cmd = [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return _start("prefect", cmd, env, f"http://127.0.0.1:{port}/api/health", home / "server.log", timeout)


def start_mlflow(root: Path, timeout: float = 120.0) -> Server:
    """`mlflow server` with a SQLite backend and proxied artifacts under root (docs/design.md §6 flags)."""
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    env.pop("MLFLOW_TRACKING_URI", None)
    cmd = [
        str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", f"sqlite:///{(root / 'mlflow.db').resolve()}",
        "--artifacts-destination", str((root / "artifacts").resolve()),
    ]
    return _start("mlflow", cmd, env, f"http://127.0.0.1:{port}/health", root / "server.log", timeout)


def start_s3(root: Path, timeout: float = 60.0) -> Server:
    """moto's S3-compatible server (`moto_server`, in memory) on a free port; url is its endpoint, for
    AWS_ENDPOINT_URL (any access key is accepted)."""
    port = free_port()
    root.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    # /moto-api/ answers 200 once the server is up (S3's own root would want a signed request)
    server = _start("s3", cmd, dict(os.environ), f"http://127.0.0.1:{port}/moto-api/", root / "server.log", timeout)
    server.url = f"http://127.0.0.1:{port}"
    return server
