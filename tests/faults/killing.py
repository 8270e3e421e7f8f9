"""Helpers of the kill tests: run `drift ...` in a subprocess that SIGKILLs itself at a fault point."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start(point: str, *args, script: str | None = None) -> subprocess.Popen:
    """`drift ARGS` (or `python SCRIPT ARGS`) with DRIFT_FAULT_POINT=point, started in the background."""
    env = {**os.environ, "DRIFT_FAULT_POINT": point, "PYTHONPATH": str(REPO)}
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"):  # the workspace's own store
        env.pop(name, None)
    cmd = [sys.executable, script, *map(str, args)] if script else [sys.executable, "-m", "cli.main", *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def assert_killed(proc: subprocess.Popen, point: str, timeout: float = 240) -> None:
    """Waits for `proc`; asserts it died by SIGKILL (its own, at `point`)."""
    try:
        _, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"not killed at {point} (rc {proc.returncode}):\n{err[-3000:]}"


def killed_at(point: str, *args, timeout: float = 240, script: str | None = None) -> None:
    """Runs `drift ARGS` (or `python SCRIPT ARGS`) with DRIFT_FAULT_POINT=point until it kills itself there."""
    assert_killed(start(point, *args, script=script), point, timeout)


def leftovers(root: Path) -> list[Path]:
    """Temp files a killed writer left (they are never read: no view or loader matches them)."""
    return sorted(root.rglob(".*.tmp"))


@cache
def namespace_problem() -> str | None:
    """Why a tmpfs cannot be mounted in a private user + mount namespace here (None: it can)."""
    if not shutil.which("unshare") or not shutil.which("mount"):
        return "needs util-linux's unshare and mount"
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=1m tmpfs /mnt 2>&1 || mount -t tmpfs -o size=1m tmpfs /tmp"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        return f"cannot mount a tmpfs in a user namespace here: {(probe.stderr or probe.stdout).strip()[:200]}"
    return None
