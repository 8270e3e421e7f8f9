"""Weights stage: returns + importance weights in SQL, the run a single-run command means, the training set."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from drift_core.config.weights import WeightsConfig
from drift_core.errors import DriftError
from drift_core.store import Workspace
from drift_core.weights import (
    DEFAULT_REPEAT_PENALTY_LAMBDA,
    WeightsSummary,
    compute_weights,
    list_runs,
    training_set,
)


def weights_stage(ws: Workspace, cfg: WeightsConfig, run_id: str | None = None, *,
                  repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> WeightsSummary:
    """One weighting of `run_id` (default: cfg.run_id, else every run, pooled) with its diagnostics;
    repeat_penalty_lambda is the protocol's (it enters the returns, so the weighting's key)."""
    return compute_weights(ws, cfg, run_id, repeat_penalty_lambda=repeat_penalty_lambda)


def pick_run(ws: Workspace, run_id: str | None) -> str:
    """The run a single-run command works on: the one named, else the workspace's only run."""
    con = ws.connect(read_only=True)
    try:
        runs = list_runs(con)
    finally:
        con.close()
    if run_id:
        if run_id not in runs:
            raise DriftError(f"no run {run_id!r} in the trajectories table; runs: {', '.join(runs) or 'none'}")
        return run_id
    if len(runs) == 1:
        return runs[0]
    if not runs:
        raise DriftError("no rollout runs in this workspace; run `drift rollout` first (or pass --data)")
    raise DriftError(f"several rollout runs in this workspace ({', '.join(runs)}); pick one with --run-id")


def training_rows(ws: Workspace, run_id: str, scheme: str, gamma: float, beta: float | str,
                  repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> pa.Table:
    """The weighted SFT set of one computed weighting (messages + weight; see drift_core.weights)."""
    con = ws.connect(read_only=True)
    try:
        return training_set(con, run_id=run_id, scheme=scheme, gamma=gamma, beta=beta,
                            repeat_penalty_lambda=repeat_penalty_lambda)
    finally:
        con.close()


def export_dataset(ws: Workspace, cfg: WeightsConfig, out: Path, fmt: str | None = None,
                   drop_zero: bool = False, *,
                   repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> tuple[str, int, str]:
    """Write one weighting's training set to .parquet/.jsonl: (run_id, rows written, format)."""
    from drift_core.jsonl_io import write_dataset

    run_id = pick_run(ws, cfg.run_id)
    table = training_rows(ws, run_id, cfg.scheme, cfg.gamma, cfg.beta, repeat_penalty_lambda)
    if drop_zero:
        import pyarrow.compute as pc

        table = table.filter(pc.greater(table["weight"], 0.0))
    return run_id, table.num_rows, write_dataset(table, out, fmt)
