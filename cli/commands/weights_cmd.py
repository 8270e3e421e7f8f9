"""`drift weights` and `drift export-dataset`: importance weights in SQL, and the weighted training set."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, beta_value, resolve_config
from drift_core import weight_schemes
from drift_core.stages.weights import export_dataset, weights_stage
from drift_core.store import Workspace
from drift_core.weights import WeightsSummary


@app.command("weights")
def weights_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    scheme: str | None = typer.Option(None, help=f"Weighting scheme. {weight_schemes.describe()}."),
    gamma: float | None = typer.Option(None, help="Per-turn discount in (0, 1]."),
    beta: str | None = typer.Option(None, help="Temperature > 0, or 'auto' (meets --target-ess)."),
    target_ess: float | None = typer.Option(None, help="Mean per-prompt ESS/n that beta=auto aims for."),
    all_fail_zero: bool | None = typer.Option(
        None, help=f"{weight_schemes.using('uses_all_fail_zero')}: weight 0 for prompts with no success."),
    weight_cap: float | None = typer.Option(
        None, help=f"{weight_schemes.using('uses_weight_cap')}: clip weights at this value."),
    run_id: str | None = typer.Option(None, help="Run to weight (default: every run in the warehouse)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of a table."),
) -> None:
    """Compute returns and importance weights (SQL over the trajectory tables) and print diagnostics."""
    cfg = resolve_config(
        config, set_, workspace, weights__scheme=scheme, weights__gamma=gamma, weights__beta=beta_value(beta),
        weights__target_ess=target_ess, weights__all_fail_zero=all_fail_zero, weights__weight_cap=weight_cap,
        weights__run_id=run_id,
    )
    summary = weights_stage(Workspace(cfg.workspace, cfg.tables_uri), cfg.weights,
                            repeat_penalty_lambda=cfg.protocol.repeat_penalty_lambda)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        print_summary(summary)


def print_summary(s: WeightsSummary) -> None:
    """One column per run, one row per diagnostic (fits a narrow terminal)."""
    beta = "-" if s.beta is None else f"{s.beta:g}" + (" (auto)" if s.beta_spec == "auto" else "")
    returns = "reused" if s.returns_reused else "computed"
    lam = "" if s.repeat_penalty_lambda == 0.5 else f", repeat_penalty_lambda {s.repeat_penalty_lambda:g}"
    options = "".join([f", target_ess {s.target_ess:g}" if s.target_ess is not None else "",
                       ", all_fail_zero" if s.all_fail_zero else "",
                       f", weight_cap {s.weight_cap:g}" if s.weight_cap is not None else ""])
    heading = (f"weights: {s.scheme}, beta {beta}, gamma {s.gamma:g}{lam}{options}: {s.rows:,} rows in "
               f"{s.seconds:.2f} s (returns {returns})")
    t = Table()
    t.add_column("diagnostic")
    for r in s.runs:
        t.add_column(r.run_id, justify="right", overflow="fold")

    def pct(v):
        return "-" if v is None else f"{100 * v:.1f}%"

    rows = [
        ("prompts", lambda r: str(r.prompts)),
        ("trajectories", lambda r: str(r.trajectories)),
        ("solved trajectories", lambda r: pct(r.solved_share)),
        ("all-fail prompts", lambda r: str(r.all_fail_prompts)),
        ("mean ESS/n per prompt", lambda r: "-" if r.mean_ess_fraction is None else f"{r.mean_ess_fraction:.3f}"),
        ("weight on solved", lambda r: pct(r.success_weight_share)),
        ("weight on all-fail prompts", lambda r: pct(r.all_fail_weight_share)),
        ("mean / max weight", lambda r: f"{r.mean_weight:.3g} / {r.max_weight:.3g}"),
        ("zero weights", lambda r: pct(r.zero_weight_share)),
    ]
    for name, fmt in rows:
        t.add_row(name, *[fmt(r) for r in s.runs])
    con = Console()
    con.print(heading, highlight=False)  # a line of its own: a table title would wrap to the table's width
    con.print(t)
    if s.target_met is False:
        con.print(f"[yellow]beta=auto: even beta={s.beta:g} does not reach target ESS/n {s.target_ess}[/]")


@app.command("export-dataset")
def export_dataset_cmd(
    out: str = typer.Argument(..., help="Output file: .parquet or .jsonl, a path or an s3://BUCKET/KEY URI"),
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    scheme: str | None = typer.Option(None, help=f"Weighting scheme: {weight_schemes.choices(' | ')}."),
    gamma: float | None = typer.Option(None, help="Per-turn discount of the weighting."),
    beta: str | None = typer.Option(None, help="beta of the weighting (a number or 'auto')."),
    target_ess: float | None = typer.Option(None, help="beta=auto: the ESS/n target of the weighting."),
    all_fail_zero: bool | None = typer.Option(
        None, help=f"{weight_schemes.using('uses_all_fail_zero')}: the weighting's all-fail-zero option."),
    weight_cap: float | None = typer.Option(
        None, help=f"{weight_schemes.using('uses_weight_cap')}: the weighting's weight cap."),
    run_id: str | None = typer.Option(None, help="Run (default: the only run in the warehouse)."),
    fmt: str | None = typer.Option(None, "--format", help="parquet | jsonl (default: from the suffix)."),
    drop_zero: bool = typer.Option(False, help="Leave out trajectories with weight 0."),
) -> None:
    """Write the weighted training set (messages + weight) of a computed weighting: the one its options
    name (all of them are its key, as for `drift weights`)."""
    cfg = resolve_config(
        config, set_, workspace, weights__scheme=scheme, weights__gamma=gamma, weights__beta=beta_value(beta),
        weights__target_ess=target_ess, weights__all_fail_zero=all_fail_zero, weights__weight_cap=weight_cap,
        weights__run_id=run_id,
    )
    run_id, rows, written = export_dataset(Workspace(cfg.workspace, cfg.tables_uri), cfg.weights, out, fmt, drop_zero,
                                           repeat_penalty_lambda=cfg.protocol.repeat_penalty_lambda)
    typer.echo(f"wrote {rows} weighted trajectories of run {run_id} to {out} ({written})")
