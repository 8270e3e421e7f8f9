"""Embedded defaults for a run with no servers: Prefect and MLflow state inside the workspace.

Call `apply(workspace)` before prefect is imported: Prefect reads PREFECT_HOME and its storage
path when it loads its settings. Variables the user has set are left alone.
"""

from __future__ import annotations

import os
from pathlib import Path


def apply(workspace: str | Path) -> dict[str, str]:
    """Set the embedded defaults the user has not set; returns what was set."""
    ws = Path(workspace).expanduser().resolve()
    wanted = {
        "PREFECT_HOME": str(ws / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(ws / "prefect" / "results"),
        # Offline telemetry logs errors (and once 'database is locked'); docs/design.md §6.
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        # A fresh PREFECT_HOME migrates its database first; on 2 busy cores that exceeds the 20 s default.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    } | log_levels(os.environ.get("PREFECT_HOME", ws / "prefect"))
    applied = {k: v for k, v in wanted.items() if k not in os.environ}
    os.environ.update(applied)
    # Prefect creates PREFECT_HOME without parents; a missing workspace would stop its server.
    for key in ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH"):
        Path(os.environ[key]).expanduser().mkdir(parents=True, exist_ok=True)
    return applied


def log_levels(prefect_home: str | Path) -> dict[str, str]:
    """Prefect's log levels for a drift run, unless the user chose them (docs/orchestration.md, "Following a run").

    The flow's and the tasks' run loggers log at INFO (what every stage did: the console, and the Prefect
    API, so the UI's Logs tab): Prefect's logging.yml leaves them NOTSET, i.e. at the `prefect` logger's
    level, so they are set by name. The rest of Prefect keeps its level: WARNING with the ephemeral local
    API (its start-up talk says nothing about the run), Prefect's own INFO with a server (PREFECT_API_URL,
    e.g. under `drift serve`: runner lines such as which flow run it submits). A PREFECT_LOGGING_LEVEL or a
    logging.yml of the user's (PREFECT_LOGGING_SETTINGS_PATH, or one in PREFECT_HOME) decides everything.
    """
    if "PREFECT_LOGGING_LEVEL" in os.environ or "PREFECT_LOGGING_SETTINGS_PATH" in os.environ:
        return {}
    if (Path(prefect_home).expanduser() / "logging.yml").is_file():
        return {}
    levels = {"PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
              "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO"}
    if not os.environ.get("PREFECT_API_URL"):
        levels["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return levels


def start_api_in_background():
    """Start Prefect's ephemeral API (when no PREFECT_API_URL) while the caller imports the pipeline.

    The server takes 5-15 s to come up; overlapping it with the imports roughly halves a cached
    rerun. Join the returned thread before running the flow.
    """
    import threading

    def start() -> None:
        if os.environ.get("PREFECT_API_URL"):
            return
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            client.api_healthcheck()

    thread = threading.Thread(target=start, name="prefect-api-start", daemon=True)
    thread.start()
    return thread
