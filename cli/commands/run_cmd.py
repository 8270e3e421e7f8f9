"""`drift run`: the whole pipeline as a Prefect flow (flows/drift_pipeline.py)."""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager, nullcontext
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
    rounds: int = typer.Option(
        1, "--rounds", min=1,
        help="Rounds of iterative DRIFT: round k samples from round k-1's model, weights those trajectories and "
        "trains from that model; the last round's model is the candidate. Rounds already run are Cached.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress",
        help="Live status line and progress bars on stderr (default: when stderr is a terminal).",
    ),
) -> None:
    """Run the pipeline: prompts -> rollout -> weights -> weighted SFT -> evaluate -> register/promote.

    Without PREFECT_API_URL it uses Prefect's ephemeral local API; without MLFLOW_TRACKING_URI an
    MLflow SQLite store in the workspace. Stages whose inputs did not change are Cached. Each stage logs
    what it did at INFO (on stderr and in the Prefect UI); docs/orchestration.md, "Following a run".
    """
    cfg = resolve_config(config, set_, workspace)
    t0 = time.perf_counter()
    err = Console(stderr=True, highlight=False)
    show = err.is_terminal if progress is None else progress
    from flows import defaults

    defaults.apply(cfg.workspace)  # before prefect is imported
    api_url = os.environ.get("PREFECT_API_URL")
    # Said at once: importing the pipeline and starting Prefect's local API take several seconds.
    err.print(f"drift run: workspace {Path(cfg.workspace).expanduser().resolve()}, Prefect "
              f"{api_url or 'local API (ephemeral)'}, loading the pipeline...", soft_wrap=True, markup=False)
    with err.status("loading the pipeline, starting Prefect") if show else nullcontext():
        api = defaults.start_api_in_background()
        from flows.drift_pipeline import drift_pipeline, planned_stages

        api.join()

    with _view(planned_stages(cfg, rounds), err) if show else nullcontext():
        summary = drift_pipeline(config=cfg, refresh=refresh, rounds=rounds)
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    if as_json:
        typer.echo(json.dumps(summary, default=str))
    else:
        print_summary(summary)


@contextmanager
def _view(stages: list[str], console: Console):
    """The terminal view (cli/progress.py), installed as drift_core.progress's display for the run."""
    from cli.progress import RunView
    from drift_core import progress

    with RunView(stages, console) as view, progress.display(view):
        yield view


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
    for row in summary.get("rounds", []):
        ks = sorted((k for k in row if k.startswith("multi@")), key=lambda k: int(k.split("@")[1]))
        console.print(f"  round {row['round']}: " + "  ".join(f"{k} {row[k]:.3f}" for k in ks if row[k] is not None)
                      + f"  ({row['rollout_tokens']:,} tokens generated so far)")
    if "version" in summary:
        verdict = "champion" if summary["promoted"] else "challenger"
        console.print(f"registered {summary['model']} v{summary['version']} as {verdict}: {summary['decision']}")
    console.print(f"MLflow run {summary['mlflow_run_id']}")
