"""`drift grpo`: online multi-turn GRPO of the policy on the train prompts (TRL's GRPOTrainer)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.stages.grpo import grpo_stage
from drift_core.stages.model import reference_model
from drift_core.stages.prompts import prompts_stage
from drift_core.store import Workspace


@app.command("grpo")
def grpo_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    model: str | None = typer.Option(None, help="Model to train (default: the reference, rollout.model or the tiny "
                                                "world)."),
    out: Path | None = typer.Option(
        None, help="Output model dir (default: <workspace>/models/grpo-<digest of the inputs>)."
    ),
    max_steps: int | None = typer.Option(None, help="Optimizer steps (grpo.max_steps)."),
    learning_rate: float | None = typer.Option(None, help="Peak learning rate (grpo.learning_rate)."),
    num_generations: int | None = typer.Option(None, help="Trajectories per prompt, the group (grpo.num_generations)."),
    beta: float | None = typer.Option(None, help="KL coefficient towards the reference (grpo.beta)."),
    limit: int | None = typer.Option(None, help="Use at most this many train prompts."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Online multi-turn GRPO: every step samples episodes of the protocol with the current policy, rewards each
    with its return (sql/returns.sql's formula) and updates on the policy's own tokens; saves a model dir that
    AutoModelForCausalLM loads (and `drift eval --model` scores)."""
    cfg = resolve_config(config, set_, workspace, grpo__max_steps=max_steps, grpo__learning_rate=learning_rate,
                         grpo__num_generations=num_generations, grpo__beta=beta, prompts__limit=limit)
    ws = Workspace(cfg.workspace)
    base = reference_model(ws, cfg.rollout, model)  # first: a bad --model fails before anything is written
    trained = grpo_stage(ws, prompts_stage(ws, cfg.prompts), base, cfg.protocol, cfg.grpo, out=out,
                         progress=not quiet)
    res = trained.result
    rewards = [h["reward"] for h in res.history if "reward" in h]
    t = Table(title=f"grpo -> {trained.out_dir}")
    for col in ("steps", "trajectories", "generated tokens", "trained tokens", "first reward", "last reward",
                "generation s", "seconds"):
        t.add_column(col, justify="right")
    t.add_row(str(res.steps), str(res.trajectories), str(res.generated_tokens), str(res.trained_tokens),
              f"{rewards[0]:.4f}" if rewards else "-", f"{rewards[-1]:.4f}" if rewards else "-",
              f"{res.generation_seconds:.1f}", f"{res.seconds:.1f}")
    Console().print(t)
