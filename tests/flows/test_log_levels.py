"""Which Prefect log levels a drift run gets (flows/defaults.py): run loggers at INFO, the rest as the user says."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from flows.defaults import log_levels
from tests.conftest import REPO

PROBE = """
import json, logging, sys
from flows import defaults
defaults.apply(sys.argv[1])
from prefect import flow  # noqa: F401 (prefect.main configures logging from the environment, once)
print(json.dumps({name: logging.getLevelName(logging.getLogger(name).getEffectiveLevel())
                  for name in ("prefect", "prefect.flow_runs", "prefect.task_runs")}))
"""
RUN_LOGGERS = {"PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
               "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO"}


def test_prefect_takes_the_levels_run_loggers_at_info_the_ephemeral_api_quiet(tmp_path):
    """In a fresh interpreter, as `drift run` starts: Prefect configures logging once, at import."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    res = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "ws")], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    got = json.loads(res.stdout.splitlines()[-1])
    assert got == {"prefect": "WARNING", "prefect.flow_runs": "INFO", "prefect.task_runs": "INFO"}


def test_with_a_server_prefect_keeps_its_own_level(tmp_path, monkeypatch):
    for key in ("PREFECT_LOGGING_LEVEL", "PREFECT_LOGGING_SETTINGS_PATH"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")  # e.g. under `drift serve`
    assert log_levels(tmp_path) == RUN_LOGGERS
    monkeypatch.delenv("PREFECT_API_URL")
    assert log_levels(tmp_path) == RUN_LOGGERS | {"PREFECT_LOGGING_LEVEL": "WARNING"}


def test_levels_or_a_logging_config_of_the_users_decide(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_LOGGING_SETTINGS_PATH", raising=False)
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "ERROR")
    assert log_levels(tmp_path) == {}
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL")
    (tmp_path / "logging.yml").write_text("version: 1\n")  # PREFECT_HOME/logging.yml: Prefect reads it
    assert log_levels(tmp_path) == {}
