"""`drift eval`: multi-turn evaluation of a model dir on a prompt set, metrics with intervals."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.config import PipelineConfig, ProtocolConfig
from drift_core.errors import DriftError
from drift_core.prompts import load_prompts
from drift_core.store import Workspace


@app.command("eval")
def eval_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    model: str | None = typer.Option(None, help="Model dir or hub id to evaluate (default: the tiny world)."),
    prompts: str | None = typer.Option(
        None, help="A named set (math500, hendrycks_math, theoremqa, gpqa, mmlu-redux, mmlu-pro), "
        "tiny-world[:split], or a JSONL/Parquet file. Default: the config's eval_prompts (tiny world test)."
    ),
    local_copy: str | None = typer.Option(None, "--local-copy", help="Local file of a named set (offline)."),
    limit: int | None = typer.Option(None, help="Evaluate at most this many problems."),
    max_turns: int | None = typer.Option(None, help="Maximum turns per episode (K)."),
    engine: str | None = typer.Option(None, help="auto | hf | vllm"),
    eval_id: str | None = typer.Option(None, help="Name of this evaluation (default: derived from settings)."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Evaluate a model with the multi-turn protocol (greedy, one trajectory per problem)."""
    cfg = resolve_config(config, set_, workspace, eval__limit=limit, protocol__max_turns=max_turns,
                         eval__engine=engine)
    res = run_eval_stage(cfg, model=model, prompts=prompts, local_copy=local_copy, eval_id=eval_id,
                         progress=not quiet)
    print_metrics(res)


def resolve_prompts(cfg: PipelineConfig, spec: str | None, local_copy: str | None, root: Path):
    """(prompt rows, dataset label, protocol) for a --prompts spec."""
    from drift_core.prompts.benchmarks import ALIASES, BENCHMARKS, get_benchmark

    protocol = cfg.protocol
    if spec is None:
        p = cfg.eval_prompts
        label = p.benchmark if p.source == "benchmark" else f"{p.source}-{p.split}"
        if p.source == "file" and p.path:
            label = Path(p.path).stem
        return load_prompts(p, root), label, protocol
    if spec.lower() in BENCHMARKS or spec.lower() in ALIASES:
        bench = get_benchmark(spec)
        pc = cfg.eval_prompts.model_copy(update={"source": "benchmark", "benchmark": bench.name,
                                                 "path": local_copy, "split": bench.split})
        if bench.instruction and protocol.instruction == ProtocolConfig().instruction:
            # multiple choice: the reference asks for a letter instead of a math answer
            protocol = protocol.model_copy(update={"instruction": bench.instruction})
        return load_prompts(pc, root), bench.name, protocol
    if spec.startswith("tiny-world"):
        split = spec.partition(":")[2] or "test"
        pc = cfg.eval_prompts.model_copy(update={"source": "tiny-world", "split": split})
        return load_prompts(pc, root), f"tiny-world-{split}", protocol
    if Path(spec).is_file():
        pc = cfg.eval_prompts.model_copy(update={"source": "file", "path": spec})
        return load_prompts(pc, root), Path(spec).stem, protocol
    raise DriftError(
        f"--prompts '{spec}' is neither a named set ({', '.join(sorted(BENCHMARKS))}), "
        "tiny-world[:split], nor an existing file"
    )


def run_eval_stage(cfg: PipelineConfig, model: str | None = None, prompts: str | None = None,
                   local_copy: str | None = None, eval_id: str | None = None, progress: bool = True):
    from drift_core.evaluate import evaluate
    from drift_core.tiny_world import ensure_tiny_world

    ws = Workspace(cfg.workspace)
    rows, label, protocol = resolve_prompts(cfg, prompts, local_copy, ws.root)
    model = model or cfg.rollout.model or str(ensure_tiny_world(ws.root))
    return evaluate(ws, model, rows, protocol, cfg.eval, engine=cfg.eval.engine, dataset=label,
                    eval_id=eval_id, progress=progress)


def print_metrics(res) -> None:
    t = Table(title=f"eval {res.eval_id}: {res.model} on {res.dataset} ({res.num_problems} problems)")
    for col, just in (("metric", "left"), ("value", "right"), ("CI", "right"), ("n", "right")):
        t.add_column(col, justify=just)
    for r in res.table:
        value = "-" if r["value"] is None else f"{r['value']:.3f}"
        ci = "-" if r["ci_low"] is None else f"[{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        t.add_row(r["metric"], value, ci, str(r["n"]))
    Console().print(t)
    typer.echo(f"{res.tokens} generated tokens in {res.seconds:.1f} s; rows in eval_trajectories, eval_metrics")
