"""`drift train`: weighted SFT of the policy on a run's weighted trajectories."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.config import PipelineConfig
from drift_core.errors import DriftError
from drift_core.store import Workspace


@app.command("train")
def train_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    scheme: str | None = typer.Option(None, help="Weighting scheme: drift | uniform | rft | drift-ext."),
    beta: str | None = typer.Option(None, help="Weight temperature of the weighting to train on."),
    gamma: float | None = typer.Option(None, help="Discount of the weighting to train on."),
    run_id: str | None = typer.Option(None, help="Rollout run (default: the only run in the workspace)."),
    model: str | None = typer.Option(None, help="Model to fine-tune (default: the run's reference policy)."),
    out: Path | None = typer.Option(None, help="Output model dir (default: <workspace>/models/<run>-<scheme>)."),
    data: Path | None = typer.Option(
        None, help="Train on a Parquet/JSONL file with columns messages, weight instead of the warehouse."
    ),
    resume: bool = typer.Option(False, help="Continue from the newest checkpoint under --out."),
    max_steps: int | None = typer.Option(None, help="Stop after this many optimizer steps."),
    quiet: bool = typer.Option(False, help="No progress bar."),
) -> None:
    """Fine-tune with weighted SFT; saves a model dir that AutoModelForCausalLM loads."""
    beta_value = None if beta is None else (beta if beta == "auto" else float(beta))
    cfg = resolve_config(config, set_, workspace, weights__scheme=scheme, weights__beta=beta_value,
                         weights__gamma=gamma, weights__run_id=run_id, train__max_steps=max_steps)
    res = run_train_stage(cfg, model=model, out=out, data=data, resume=resume, progress=not quiet)
    t = Table(title=f"train -> {res.out_dir}")
    for col in ("samples", "steps", "supervised tokens", "first loss", "last loss", "seconds"):
        t.add_column(col, justify="right")
    first = f"{res.train_loss[0][1]:.4f}" if res.train_loss else "-"
    last = f"{res.train_loss[-1][1]:.4f}" if res.train_loss else "-"
    t.add_row(str(res.samples), str(res.global_step), str(res.supervised_tokens), first, last,
              f"{res.seconds:.1f}")
    Console().print(t)


def read_rows(path: Path):
    """A weighted training file -> Arrow table (columns checked by the trainer)."""
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    if not path.is_file():
        raise DriftError(f"training data file not found: {path}")
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path)
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            return pj.read_json(path)
    except Exception as exc:
        raise DriftError(f"{path}: cannot read training data: {exc}") from exc
    raise DriftError(f"{path}: unsupported training data type (use .parquet or .jsonl)")


def pick_run(con, run_id: str | None) -> str:
    if run_id:
        return run_id
    runs = [r[0] for r in con.execute("select distinct run_id from trajectories order by 1").fetchall()]
    if len(runs) == 1:
        return runs[0]
    if not runs:
        raise DriftError("no rollout runs in this workspace; run `drift rollout` first (or pass --data)")
    raise DriftError(f"several rollout runs in this workspace ({', '.join(runs)}); pick one with --run-id")


def run_train_stage(cfg: PipelineConfig, model: str | None = None, out: Path | None = None,
                    data: Path | None = None, resume: bool = False, progress: bool = True):
    from drift_core.train import train

    ws = Workspace(cfg.workspace)
    w = cfg.weights
    if data is not None:
        rows = read_rows(Path(data))
        name = Path(data).stem
    else:
        try:
            from drift_core.weights import training_set
        except ImportError as exc:
            raise DriftError(f"the weights stage is not available in this install: {exc}") from exc
        con = ws.connect(read_only=True)
        try:
            run = pick_run(con, w.run_id or cfg.rollout.run_id)
            rows = training_set(con, run_id=run, scheme=w.scheme, gamma=w.gamma, beta=w.beta)
            if model is None:
                hit = con.execute("select any_value(policy) from trajectories where run_id = ?", [run]).fetchone()
                model = hit[0] if hit else None
        finally:
            con.close()
        name = f"{run}-{w.scheme}"
    if model is None:
        from drift_core.tiny_world import ensure_tiny_world

        model = cfg.rollout.model or str(ensure_tiny_world(ws.root))
    out = out or ws.root / "models" / name
    return train(rows, model, cfg.train, out, resume=resume, progress=progress, protocol=cfg.protocol)
