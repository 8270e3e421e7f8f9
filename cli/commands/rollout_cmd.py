"""`drift prompts` and `drift rollout`: load prompts, sample trajectories into the workspace."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.engines import ENGINES
from drift_core.stages.model import reference_model
from drift_core.stages.prompts import prompts_stage
from drift_core.stages.rollout import rollout_stage
from drift_core.store import Workspace


@app.command("prompts")
def prompts_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    source: str | None = typer.Option(None, help="file | hf | arithmetic | tiny-world"),
    path: str | None = typer.Option(None, help="File path or dataset name."),
    split: str | None = typer.Option(None, help="Split to load."),
    limit: int | None = typer.Option(None, help="Keep at most this many prompts."),
) -> None:
    """Load prompts from the configured source into the workspace's prompts table."""
    cfg = resolve_config(
        config,
        set_,
        workspace,
        prompts__source=source,
        prompts__path=path,
        prompts__split=split,
        prompts__limit=limit,
    )
    ws = Workspace(cfg.workspace, cfg.tables_uri)
    loaded = prompts_stage(ws, cfg.prompts)
    typer.echo(f"loaded {len(loaded.rows)} prompts ({loaded.label}) into {ws.warehouse}")


@app.command("rollout")
def rollout_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    model: str | None = typer.Option(None, help="Reference model dir or hub id (default: tiny world)."),
    engine: str | None = typer.Option(None, help=ENGINES.choices()),
    n: int | None = typer.Option(None, help="Trajectories per prompt."),
    max_turns: int | None = typer.Option(None, help="Maximum turns per episode."),
    limit: int | None = typer.Option(None, help="Use at most this many prompts."),
    run_id: str | None = typer.Option(None, help="Name of the run (default: derived from settings)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Sample multi-turn trajectories from the reference model into trajectories/turns."""
    cfg = resolve_config(
        config,
        set_,
        workspace,
        rollout__model=model,
        rollout__engine=engine,
        rollout__n=n,
        protocol__max_turns=max_turns,
        prompts__limit=limit,
        rollout__run_id=run_id,
    )
    ws = Workspace(cfg.workspace, cfg.tables_uri)
    model = reference_model(ws, cfg.rollout)  # first: a bad --model fails before the prompts are written
    out = rollout_stage(ws, prompts_stage(ws, cfg.prompts), cfg.protocol, cfg.rollout, model, progress=not quiet)
    print_rollout(out.run)


def print_rollout(res) -> None:
    t = Table(title=f"rollout {res.run_id}")
    for col in ("trajectories", "generated tokens", "shards written", "shards reused", "seconds"):
        t.add_column(col, justify="right")
    t.add_row(
        str(res.trajectories),
        str(res.tokens),
        str(res.shards_written),
        str(res.shards_skipped),
        f"{res.seconds:.1f}",
    )
    Console().print(t)
