"""Which MLflow store a workspace uses, and pointing mlflow at it (docs/design.md §2, stores and services).

Tracking URI: MLFLOW_TRACKING_URI when set (e.g. the compose stack's server), else a SQLite store
in the workspace (`sqlite:////abs/ws/mlflow.db`, four slashes for an absolute path) with artifacts
under <ws>/mlartifacts.
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

from drift_mlflow.store import artifact_root, follow_workspace

EXPERIMENT = "drift"


def tracking_uri(workspace: Path) -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or own_store(workspace)


def own_store(workspace: Path) -> str:
    return f"sqlite:///{Path(workspace).resolve() / 'mlflow.db'}"


def store_identity(workspace: Path) -> str:
    """Which tracking store is in use, independent of where the workspace is: 'workspace' for its own
    SQLite store, else the URI (a server)."""
    uri = mlflow.get_tracking_uri()
    return "workspace" if uri == own_store(workspace) else uri


def setup(workspace: Path, experiment: str = EXPERIMENT) -> str:
    """Point mlflow at the tracking store; create the experiment (artifacts in the workspace if local)."""
    uri = tracking_uri(workspace)
    if uri == own_store(workspace):
        follow_workspace(Path(workspace).resolve() / "mlflow.db", experiment, workspace)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient()
    if client.get_experiment_by_name(experiment) is None:
        location = None
        if uri.startswith("sqlite:"):
            location = artifact_root(workspace).as_uri()
        client.create_experiment(experiment, artifact_location=location)
    mlflow.set_experiment(experiment)
    return uri
