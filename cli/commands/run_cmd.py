"""`drift run`: the whole pipeline as a Prefect flow (flows/drift_pipeline.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config


@app.command("run")
def run_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    refresh: bool = typer.Option(False, "--refresh", help="Recompute every stage (ignore cached results)."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Run the pipeline: prompts -> rollout -> weights -> weighted SFT -> evaluate -> register/promote.

    Without PREFECT_API_URL it uses Prefect's ephemeral local API; without MLFLOW_TRACKING_URI an
    MLflow SQLite store in the workspace. Stages whose inputs did not change are Cached.
    """
    cfg = resolve_config(config, set_, workspace)
    t0 = time.perf_counter()
    from flows import defaults

    defaults.apply(cfg.workspace)  # before prefect is imported
    api = defaults.start_api_in_background()
    from flows.drift_pipeline import drift_pipeline

    api.join()

    summary = drift_pipeline(config=cfg, refresh=refresh)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    if as_json:
        typer.echo(json.dumps(summary, default=str))
    else:
        print_summary(summary)


def print_summary(summary: dict) -> None:
    t = Table(title=f"drift run ({summary['seconds']} s)")
    t.add_column("stage")
    t.add_column("state")
    for stage, state in summary["states"].items():
        t.add_row(stage, state)
    console = Console()
    console.print(t)
    for name in ("reference", "candidate"):
        m = summary.get(name) or {}
        ks = sorted((k for k in m if k.startswith("multi@")), key=lambda k: int(k.split("@")[1]))
        console.print(f"{name:>9}: " + "  ".join(f"{k} {m[k]:.3f}" for k in ks))
    if "version" in summary:
        verdict = "champion" if summary["promoted"] else "challenger"
        console.print(f"registered {summary['model']} v{summary['version']} as {verdict}: {summary['decision']}")
    console.print(f"MLflow run {summary['mlflow_run_id']}")
