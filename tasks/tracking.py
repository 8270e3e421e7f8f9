"""MLflow side of a pipeline run: one parent run, a nested run per stage, links to Prefect both ways.

Tracking URI (drift_mlflow.tracking; setup and tracking_uri are re-exported here): MLFLOW_TRACKING_URI
when set (e.g. the compose stack's server), else a SQLite store in the workspace (`sqlite:////abs/ws/mlflow.db`)
with artifacts under <ws>/mlartifacts.

Killed runs (docs/reliability.md): every parent run, and the register stage's run, is tagged with the
process that opened it (`drift.host`, `drift.pid`, `drift.pid_start`). A pipeline run first marks as KILLED
each RUNNING run of the experiment whose process, or whose parent run's process, is gone: same host, and
no process with that pid (or one that started at another time, so a reused pid is told apart). Runs
opened on another host are left as they are: their process cannot be checked from here.
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow
import yaml
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from drift_mlflow.tracking import EXPERIMENT, setup, store_identity, tracking_uri  # noqa: F401 (re-exported)

MAX_PARAM_CHARS = 6000  # MLflow's limit on a param value


def flatten(data: Any, prefix: str = "") -> dict[str, str]:
    """Nested config -> {'a.b': 'value'} with MLflow-sized string values."""
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    out: dict[str, str] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(flatten(v, f"{prefix}{k}."))
    else:
        out[prefix.rstrip(".")] = str(data)[:MAX_PARAM_CHARS]
    return out


@contextmanager
def pipeline_run(workspace: Path, config: Any, run_name: str | None = None):
    """The parent MLflow run of one pipeline run, tagged with (and tagged onto) the Prefect flow run."""
    from prefect.runtime import flow_run

    setup(workspace)
    mark_killed_runs(MlflowClient(), mlflow.get_experiment_by_name(EXPERIMENT).experiment_id)
    tags = {"drift.workspace": str(Path(workspace).resolve()), **process_tags()}
    if flow_run.id:
        tags |= {"prefect.flow_run_id": flow_run.id, "prefect.flow_run_name": flow_run.name or ""}
        if flow_run.ui_url and not flow_run.ui_url.startswith("None"):
            tags["prefect.flow_run_url"] = flow_run.ui_url
    with mlflow.start_run(run_name=run_name or flow_run.name or "drift", tags=tags) as run:
        mlflow.log_text(yaml.safe_dump(plain(config), sort_keys=False), "config/resolved.yaml")
        # The flattened config as params (weights.beta, rollout.n, ...): the runs table filters on them.
        params = [Param(k, v) for k, v in flatten(plain(config)).items()]
        for i in range(0, len(params), 100):  # log_batch takes at most 100 params a call
            MlflowClient().log_batch(run.info.run_id, params=params[i : i + 100])
        _link_prefect_to_mlflow(run.info.run_id, run.info.experiment_id)
        yield run


def process_tags() -> dict[str, str]:
    """Which process opened a run: host, pid, and the pid's start time (Linux; '' elsewhere)."""
    return {"drift.host": socket.gethostname(), "drift.pid": str(os.getpid()),
            "drift.pid_start": _proc_stat(os.getpid())[1] or ""}


def _proc_stat(pid: int) -> tuple[str | None, str | None]:
    """(state, start time in clock ticks since boot) of a process, from /proc; (None, None) without it."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None, None
    fields = text.rsplit(")", 1)[-1].split()  # after the command name, which may hold spaces
    return fields[0], fields[19]  # stat fields 3 (state) and 22 (starttime)


def process_gone(tags: dict[str, str]) -> bool | None:
    """Whether the process named by a run's process tags has ended; None when that cannot be told (no
    tags, or another host)."""
    pid, host = tags.get("drift.pid"), tags.get("drift.host")
    if not pid or host != socket.gethostname():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, under another user
    state, start = _proc_stat(int(pid))
    if state == "Z":
        return True  # killed, not yet reaped by its parent
    return bool(tags.get("drift.pid_start") and start and start != tags["drift.pid_start"])  # a reused pid


def run_orphaned(client: MlflowClient, run) -> bool:
    """A RUNNING run whose process (its own tags, else its parent run's) is known to be gone."""
    gone = process_gone(run.data.tags)
    parent = run.data.tags.get("mlflow.parentRunId")
    if gone is None and parent:
        try:
            gone = process_gone(client.get_run(parent).data.tags)
        except MlflowException:
            gone = None
    return bool(gone)


def mark_killed_runs(client: MlflowClient, experiment_id: str) -> list[str]:
    """Mark the experiment's RUNNING runs whose process is gone as KILLED; returns their ids."""
    killed = []
    for run in client.search_runs([experiment_id], "attributes.status = 'RUNNING'", max_results=1000):
        if run_orphaned(client, run):
            client.set_tag(run.info.run_id, "drift.killed", "its process ended without closing it")
            client.set_terminated(run.info.run_id, status="KILLED")
            killed.append(run.info.run_id)
    return killed


def plain(config) -> dict:
    """A config (a pydantic model, or a dict of sections that may be models) as JSON-able values."""
    if hasattr(config, "model_dump"):
        return config.model_dump(mode="json")
    return {k: v.model_dump(mode="json") if hasattr(v, "model_dump") else v for k, v in config.items()}


def _link_prefect_to_mlflow(run_id: str, experiment_id: str) -> None:
    """Tag the Prefect flow run with the MLflow run id and leave a link artifact to it."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact
    from prefect.client.orchestration import get_client
    from prefect.runtime import flow_run

    if not flow_run.id:
        return
    with get_client(sync_client=True) as client:
        fr = client.read_flow_run(flow_run.id)
        client.update_flow_run(flow_run.id, tags=sorted(set(fr.tags) | {f"mlflow-run:{run_id}"}))
    uri = mlflow.get_tracking_uri()
    if uri.startswith("http"):
        create_link_artifact(
            f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}",
            link_text=f"MLflow run {run_id}", key="mlflow-run", description="This flow run's MLflow parent run.",
        )
    else:
        create_markdown_artifact(
            f"MLflow run `{run_id}` (experiment `{experiment_id}`) in `{uri}`", key="mlflow-run",
            description="This flow run's MLflow parent run.",
        )


def log_stage(name: str, result, *, cached: bool, task_run_id: str, parent_run_id: str | None,
              span: tuple[float, float] | None = None, workspace: Path | None = None) -> str:
    """One nested run per stage: params, metrics, metric series, files; tags link the Prefect task run.

    `span`: the stage's (start, end) in epoch seconds, so the run shows how long the stage took, not
    how long logging it did."""
    client = MlflowClient()
    tags = {"drift.stage": name, "drift.cached": str(cached).lower(), "prefect.task_run_id": task_run_id,
            "drift.fingerprint": result.fingerprint, **result.tags}
    if result.mlflow_run_id and not cached:
        run_id = result.mlflow_run_id  # the task body opened its run (register: log_model needs a run)
    else:
        exp = mlflow.get_experiment_by_name(EXPERIMENT)
        run_tags = {"mlflow.runName": name}
        if parent_run_id:
            run_tags["mlflow.parentRunId"] = parent_run_id
        start = int(span[0] * 1000) if span else None
        run_id = client.create_run(exp.experiment_id, start_time=start, tags=run_tags, run_name=name).info.run_id
    now = int(time.time() * 1000)
    metrics = [Metric(metric_name(k), float(v), now, 0) for k, v in result.metrics.items() if v is not None]
    metrics += [Metric(metric_name(k), float(v), now, int(step))
                for k, pts in result.series.items() for step, v in pts]
    params = [Param(k, v) for k, v in flatten(result.params).items()]
    # log_batch caps: 1000 metrics, 100 params per call.
    for i in range(0, max(len(params), 1), 100):
        client.log_batch(run_id, params=params[i : i + 100], tags=[RunTag(k, str(v)) for k, v in tags.items()]
                         if i == 0 else [])
    for i in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    from drift_core.store import Workspace

    for stored in result.files:
        f = Workspace(workspace).resolve(stored) if workspace is not None else stored
        if Path(f).exists():
            client.log_artifact(run_id, f, artifact_path=name)
    client.set_terminated(run_id, end_time=int(span[1] * 1000) if span else None)
    return run_id


def metric_name(name: str) -> str:
    """MLflow refuses '@' in names: multi@5 -> multi_at_5."""
    return name.replace("@", "_at_")


def log_rounds(run_id: str, rows: list[dict], plot: Path | None = None) -> None:
    """Per-round figures of iterative DRIFT on one run: each numeric field of a row (multi@k, the cost up to
    that round) as the metric `round.<field>` at step = the round, so MLflow draws them by round; the plot
    of multi@k by round as the artifact rounds/<name>."""
    client = MlflowClient()
    now = int(time.time() * 1000)
    metrics = [Metric(metric_name(f"round.{k}"), float(v), now, int(row["round"]))
               for row in rows for k, v in row.items()
               if k != "round" and isinstance(v, int | float) and not isinstance(v, bool)]
    for i in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])
    if plot is not None:
        client.log_artifact(run_id, str(plot), artifact_path="rounds")


def log_summary(metrics: dict[str, float], tags: dict[str, str] | None = None) -> None:
    """Headline figures on the parent run, so the runs table compares pipeline runs at a glance."""
    mlflow.log_metrics({metric_name(k): float(v) for k, v in metrics.items() if v is not None})
    if tags:
        mlflow.set_tags(tags)
