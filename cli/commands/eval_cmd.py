"""`drift eval`: multi-turn evaluation of a model dir on a prompt set, metrics with intervals."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.engines import ENGINES
from drift_core.prompts import prompts_from_spec
from drift_core.stages.evaluate import evaluate_stage
from drift_core.stages.model import reference_model
from drift_core.stages.prompts import prompts_stage
from drift_core.store import Workspace


@app.command("eval")
def eval_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    model: str | None = typer.Option(None, help="Model dir or hub id to evaluate (default: the tiny world)."),
    prompts: str | None = typer.Option(
        None, help="A named set (math500, hendrycks_math, theoremqa, gpqa, mmlu-redux, mmlu-pro), "
        "tiny-world[-choice][:split] (train, validation, test), or a JSONL/Parquet file. Default: the config's "
        "eval_prompts (tiny world test)."
    ),
    local_copy: str | None = typer.Option(None, "--local-copy", help="Local file of a named set (offline)."),
    limit: int | None = typer.Option(None, help="Evaluate at most this many problems."),
    max_turns: int | None = typer.Option(None, help="Maximum turns per episode (K)."),
    engine: str | None = typer.Option(None, help=ENGINES.choices()),
    eval_id: str | None = typer.Option(None, help="Name of this evaluation (default: derived from settings)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Evaluate a model with the multi-turn protocol (greedy, one trajectory per problem)."""
    cfg = resolve_config(config, set_, workspace, eval__limit=limit, protocol__max_turns=max_turns,
                         eval__engine=engine)
    ws = Workspace(cfg.workspace, cfg.tables_uri)
    prompt_cfg = cfg.eval_prompts if prompts is None else prompts_from_spec(cfg.eval_prompts, prompts, local_copy)
    res = evaluate_stage(ws, reference_model(ws, cfg.rollout, model), prompts_stage(ws, prompt_cfg), cfg.protocol,
                         cfg.eval, eval_id=eval_id, progress=not quiet)
    print_metrics(res)


def print_metrics(res) -> None:
    t = Table(title=f"eval {res.eval_id}: {res.model} on {res.dataset} ({res.num_problems} problems)")
    for col, just in (("metric", "left"), ("value", "right"), ("CI", "right"), ("n", "right")):
        t.add_column(col, justify=just)
    for r in res.table:
        value = "-" if r["value"] is None else f"{r['value']:.3f}"
        ci = "-" if r["ci_low"] is None else f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        if r.get("ci_method") == "exact":
            ci = "exact"  # optimum@k: a figure of the evaluated set, not an estimate
        t.add_row(r["metric"], value, ci, str(r["n"]))
    Console().print(t)
    typer.echo(f"{res.tokens} generated tokens in {res.seconds:.1f} s; rows in eval_trajectories, eval_metrics")
