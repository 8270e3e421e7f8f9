"""`drift import-jsonl` / `drift export-jsonl`: the reference repository's trajectory JSONL format."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.jsonl_io import export_jsonl, import_jsonl
from drift_core.stages.weights import pick_run
from drift_core.store import Workspace


@app.command("import-jsonl")
def import_jsonl_cmd(
    file: Path = typer.Argument(..., help="Trajectory JSONL in the reference format (one object per line)."),
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    run_id: str | None = typer.Option(None, help="Run name (default: j-<file stem>-<content hash>)."),
    policy: str | None = typer.Option(None, help="Model that generated it (default: imported:<file name>)."),
    memory_limit: str = typer.Option("1GB", help="DuckDB memory cap while importing (spills beyond it)."),
) -> None:
    """Load reference-format trajectories into the trajectories and turns tables (all or nothing), and
    compute their returns at the config's weights.gamma (so `drift weights` only weights)."""
    cfg = resolve_config(config, set_, workspace)
    res = import_jsonl(
        Workspace(cfg.workspace, cfg.tables_uri), file, run_id=run_id, policy=policy, memory_limit=memory_limit,
        returns_gamma=cfg.weights.gamma, returns_lambda=cfg.protocol.repeat_penalty_lambda,
    )
    if res.skipped:
        typer.echo(f"{file} is already imported as run {res.run_id} ({res.records} records); nothing to do")
    else:
        rate = res.records / res.seconds if res.seconds else 0.0
        typer.echo(f"imported {res.records} records as run {res.run_id} ({res.shards} shards, "
                   f"{res.seconds:.1f} s, {rate:,.0f} records/s; returns at gamma {cfg.weights.gamma} "
                   f"computed in {res.returns_seconds:.2f} s of it)")


@app.command("export-jsonl")
def export_jsonl_cmd(
    out: Path = typer.Argument(..., help="Output .jsonl file."),
    run_id: str | None = typer.Option(None, help="Run to export (default: the only run in the workspace)."),
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
) -> None:
    """Write a run's trajectories in the reference JSONL format (an imported run comes back as it was)."""
    cfg = resolve_config(config, set_, workspace)
    ws = Workspace(cfg.workspace, cfg.tables_uri)
    run_id = pick_run(ws, run_id)  # the named run, else the only one, else an error listing them
    n = export_jsonl(ws, run_id, out)
    typer.echo(f"wrote {n} records of run {run_id} to {out}")
