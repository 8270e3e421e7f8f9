"""`drift serve` (a Prefect deployment of the pipeline) and `drift promote` (move the champion alias)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.errors import DriftError


@app.command("serve")
def serve_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    name: str = typer.Option("drift", help="Deployment name (the flow is drift-pipeline)."),
    cron: str | None = typer.Option(None, help="Also run on this cron schedule, e.g. '0 3 * * *'."),
    limit: int | None = typer.Option(None, help="Run at most this many flow runs at once."),
) -> None:
    """Register the pipeline as a Prefect deployment and run what is scheduled (Ctrl-C stops).

    The config (YAML + --set) becomes the deployment's default `config` parameter; the Prefect UI shows
    it as a typed form per section, and `prefect deployment run drift-pipeline/NAME --param
    'overrides=["weights.beta=0.5"]'` changes single values on top of it (the --set syntax). Each flow
    run's stages log what they did at INFO: the run's Logs tab in the UI shows them (docs/orchestration.md).
    """
    cfg = resolve_config(config, set_, workspace)
    if not os.environ.get("PREFECT_API_URL"):
        raise DriftError(
            "drift serve needs a Prefect server: start one (`prefect server start`, or the compose stack) "
            "and set PREFECT_API_URL, e.g. http://127.0.0.1:4200/api"
        )
    from flows import defaults

    defaults.apply(cfg.workspace)  # also the run loggers' INFO level, which the served runs' processes inherit
    from flows.drift_pipeline import drift_pipeline

    config = cfg.model_dump(mode="json") | {"workspace": str(Path(cfg.workspace).expanduser().resolve())}
    params = {"config": config, "overrides": [], "refresh": False}
    drift_pipeline.serve(
        name=name, parameters=params, cron=cron, limit=limit,
        description="DRIFT pipeline: rollout -> weights -> weighted SFT -> evaluate -> register/promote.",
        tags=["drift"],
    )


@app.command("promote")
def promote_cmd(
    name: str = typer.Argument(..., help="Registered model name, e.g. drift-policy."),
    version: str = typer.Argument(..., help="Version to make the champion."),
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    reason: str | None = typer.Option(None, help="Recorded on the version as its 'promotion' tag."),
    force: bool = typer.Option(False, help="Promote even if the gate fails (needs --reason)."),
) -> None:
    """Move the `champion` alias to NAME VERSION if it passes the gate (registry.*) against the current
    champion, or the reference with none, on the same eval set; --force --reason '...' overrides it."""
    cfg = resolve_config(config, set_, workspace)
    if force and not reason:
        raise DriftError("--force needs a --reason (it is recorded on the version)")
    from mlflow.exceptions import MlflowException

    from drift_mlflow.registry import promote  # MLflow only: no Prefect, no tasks
    from drift_mlflow.tracking import setup

    uri = setup(cfg.workspace)
    gate = cfg.registry.model_copy(update={"model_name": name})
    try:
        decision = promote(name, version, reason or "promoted by hand", force=force, cfg=gate)
    except MlflowException as exc:
        raise DriftError(f"cannot promote {name} v{version} in {uri}: {exc.message}") from None
    why = f" ({decision.reason})" if decision is not None else ""
    typer.echo(f"{name} v{version} is now the champion{why} ({uri})")
