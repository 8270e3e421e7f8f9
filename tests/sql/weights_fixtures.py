"""Given rows for the SQL tests: an in-memory DuckDB with the DDL tables and a few trajectories."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from drift_core import weight_schemes
from drift_core.sqlfiles import materialise, run_sql
from drift_core.weights import ensure_tables, weighting_key, write_weighting


def memory_db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    run_sql(con, "tables/trajectories")
    ensure_tables(con)
    return con


def traj(prompt_id, sample_idx, rewards, *, fp=0.0, norms=(), run_id="r1"):
    """A trajectories row; t_star = first turn with reward 1 (the protocol ends the episode there)."""
    t_star = next((i + 1 for i, r in enumerate(rewards) if r == 1.0), None)
    return {
        "run_id": run_id, "prompt_id": prompt_id, "sample_idx": sample_idx, "policy": "m", "gold": "1",
        "messages": [{"role": "user", "content": "q"}], "num_turns": max(len(norms), 1),
        "max_turns": len(rewards), "t_star": t_star, "format_penalty": fp, "answer_norms": list(norms),
        "turn_rewards": list(rewards), "reward_details": None, "extra": None,
    }


def insert(con, rows: list[dict]) -> None:
    con.register("given", pa.Table.from_pylist(rows))
    con.execute("insert into trajectories by name select * from given")
    con.unregister("given")


def returns(con, gamma: float, run_ids=("r1",), lam: float = 0.5) -> dict:
    """Materialise returns at gamma and repeat_penalty_lambda `lam`: {(prompt_id, sample_idx):
    (discounted_return, format_penalty, repeat_penalty, return)}."""
    materialise(con, "prompt_groups", {"run_ids": list(run_ids)})
    materialise(con, "returns", {"run_ids": list(run_ids), "gamma": gamma, "repeat_penalty_lambda": lam})
    rows = con.execute(
        "select prompt_id, sample_idx, discounted_return, format_penalty, repeat_penalty, \"return\" "
        "from returns where gamma = $g and repeat_penalty_lambda = $l order by all", {"g": gamma, "l": lam}
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def weights(con, scheme="drift", beta=0.1, gamma=0.9, all_fail_zero=False, cap=None, run_ids=("r1",),
            lam: float = 0.5, target_ess: float = 0.5) -> dict:
    """Write one weighting (its key from weighting_key, as compute_weights does; beta 'auto' is not
    resolved here: give the value in `beta` and say 'auto' with target_ess) and return its rows
    {(prompt_id, sample_idx): (weight, group_size, group_ess, group_success_rate)}."""
    key = weighting_key(scheme, beta, gamma, runs=list(run_ids), target_ess=target_ess,
                        all_fail_zero=all_fail_zero, weight_cap=cap, repeat_penalty_lambda=lam)
    used = beta if weight_schemes.get(scheme).uses_beta else None
    write_weighting(con, {"run_ids": list(run_ids), "beta": used, **key})
    return weights_of(con, key)


def weights_of(con, key: dict) -> dict:
    """The rows of the weighting with this key (weighting_key), as `weights` returns them."""
    rows = con.execute(
        "select prompt_id, sample_idx, weight, group_size, group_ess, group_success_rate from weights "
        "where scheme = $scheme and beta_spec = $beta_spec and gamma = $gamma and repeat_penalty_lambda = "
        "$repeat_penalty_lambda and target_ess = $target_ess and all_fail_zero = $all_fail_zero "
        "and weight_cap = $weight_cap and beta_pool = $beta_pool order by all", key
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}
