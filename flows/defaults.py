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
        # An unset PREFECT_API_URL means Prefect's ephemeral local API; keep its start-up quiet.
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "WARNING"),
        # A fresh PREFECT_HOME migrates its database first; on 2 busy cores that exceeds the 20 s default.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    applied = {k: v for k, v in wanted.items() if k not in os.environ}
    os.environ.update(applied)
    # Prefect creates PREFECT_HOME without parents; a missing workspace would stop its server.
    for key in ("PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH"):
        Path(os.environ[key]).expanduser().mkdir(parents=True, exist_ok=True)
    return applied


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
