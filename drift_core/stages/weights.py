"""Weights stage: returns + importance weights in SQL, the run a single-run command means, the training set."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from drift_core.config.weights import WeightsConfig
from drift_core.errors import DriftError
from drift_core.sqlfiles import sql_relation
from drift_core.store import Workspace
from drift_core.weights import (
    DEFAULT_REPEAT_PENALTY_LAMBDA,
    WeightsSummary,
    compute_weights,
    config_training_set,
    list_runs,
    training_set_if_unique,
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


def config_rows(ws: Workspace, cfg: WeightsConfig, run_id: str, *, runs: list[str] | None = None,
                repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA, order: str = "prompt_id") -> pa.Table:
    """The weighted SFT set (messages + weight) of `run_id` in the weighting `cfg` names: its whole key
    (drift_core.weights.config_training_set; runs: those weighted together, default as compute_weights).
    order (train.row_order): 'prompt_id' = by (prompt_id, sample_idx); 'stored' = `stored_order`."""
    con = ws.connect(read_only=True)
    try:
        rows = config_training_set(con, cfg, run_id, runs=runs, repeat_penalty_lambda=repeat_penalty_lambda)
    finally:
        con.close()
    return stored_order(ws, rows, run_id) if order == "stored" else rows


def stored_order(ws: Workspace, rows: pa.Table, run_id: str) -> pa.Table:
    """`rows` of run_id (prompt_id, sample_idx, ...) in the order the run stored them (sql/training_order.sql):
    the reference's training order (docs/reference-parity.md)."""
    if not ws.run_shards(run_id):
        raise DriftError(f"no stored trajectories of run {run_id!r} in {ws.root}: cannot put its training rows "
                         "in stored order (train.row_order)")
    keys = rows.select(["prompt_id", "sample_idx"]).append_column("row", pa.array(range(rows.num_rows), pa.int64()))
    con = duckdb.connect()
    try:
        con.register("training_rows", keys)
        ws.register_tables(con)
        order = sql_relation(con, "training_order", {"glob": ws.run_shards_glob(run_id)})
        order = order.to_arrow_table().column("row").to_pylist()
    finally:
        con.close()
    if len(order) != rows.num_rows:
        raise DriftError(f"run {run_id!r}: {rows.num_rows} training rows, {len(order)} of them found in its "
                         "stored trajectories; cannot put them in stored order")
    return rows.take(order)


def training_rows(ws: Workspace, run_id: str, scheme: str, gamma: float, beta: float | str,
                  repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> pa.Table:
    """The weighted SFT set of the one computed weighting of `run_id` with this scheme, beta, gamma and
    lambda, whatever its other options; a DriftError when several differ in them (callers that have the
    config: use config_rows, which names the whole key)."""
    con = ws.connect(read_only=True)
    try:
        return training_set_if_unique(con, run_id=run_id, scheme=scheme, gamma=gamma, beta=beta,
                                      repeat_penalty_lambda=repeat_penalty_lambda)
    finally:
        con.close()


def export_dataset(ws: Workspace, cfg: WeightsConfig, out: str | Path, fmt: str | None = None,
                   drop_zero: bool = False, *,
                   repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> tuple[str, int, str]:
    """Write the training set of the weighting `cfg` names (all of its key) to .parquet/.jsonl:
    (run_id, rows written, format)."""
    from drift_core.writers import write_dataset

    run_id = pick_run(ws, cfg.run_id)
    table = config_rows(ws, cfg, run_id, repeat_penalty_lambda=repeat_penalty_lambda)
    if drop_zero:
        import pyarrow.compute as pc

        table = table.filter(pc.greater(table["weight"], 0.0))
    return run_id, table.num_rows, write_dataset(table, out, fmt)
