"""`drift train`: weighted SFT of the policy on a run's weighted trajectories."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, beta_value, resolve_config
from drift_core import weight_schemes
from drift_core.errors import DriftError
from drift_core.stages.train import train_inputs, train_stage
from drift_core.store import Workspace


@app.command("train")
def train_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    scheme: str | None = typer.Option(None, help=f"Weighting scheme: {weight_schemes.choices(' | ')}."),
    beta: str | None = typer.Option(None, help="Weight temperature of the weighting to train on."),
    gamma: float | None = typer.Option(None, help="Discount of the weighting to train on."),
    run_id: str | None = typer.Option(None, help="Rollout run (default: the only run in the workspace)."),
    model: str | None = typer.Option(None, help="Model to fine-tune (default: the run's reference policy)."),
    out: Path | None = typer.Option(
        None, help="Output model dir (default: <workspace>/models/<run>-<scheme>-<digest of the inputs>)."
    ),
    data: Path | None = typer.Option(
        None, help="Train on a Parquet/JSONL file with columns messages, weight instead of the warehouse."
    ),
    resume: bool = typer.Option(False, help="Continue from the newest checkpoint of an earlier run into --out."),
    overwrite: bool = typer.Option(
        False, help="Start again from step 0 when an earlier run into --out left checkpoints (they are deleted)."
    ),
    max_steps: int | None = typer.Option(None, help="Stop after this many optimizer steps."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Fine-tune with weighted SFT; saves a model dir that AutoModelForCausalLM loads."""
    if resume and overwrite:
        raise DriftError("--resume and --overwrite contradict each other; pass one")
    cfg = resolve_config(config, set_, workspace, weights__scheme=scheme, weights__beta=beta_value(beta),
                         weights__gamma=gamma, weights__run_id=run_id, train__max_steps=max_steps)
    ws = Workspace(cfg.workspace, cfg.tables_uri)
    inputs = train_inputs(ws, cfg, data=data, model=model)
    trained = train_stage(ws, inputs, cfg.protocol, cfg.train, out=out, resume=resume, overwrite=overwrite,
                          progress=not quiet)
    res = trained.result
    t = Table(title=f"train {inputs.name} -> {trained.out_dir}")
    for col in ("samples", "steps", "supervised tokens", "first loss", "last loss", "seconds"):
        t.add_column(col, justify="right")
    first = f"{res.train_loss[0][1]:.4f}" if res.train_loss else "-"
    last = f"{res.train_loss[-1][1]:.4f}" if res.train_loss else "-"
    t.add_row(str(res.samples), str(res.global_step), str(res.supervised_tokens), first, last,
              f"{res.seconds:.1f}")
    Console().print(t)
