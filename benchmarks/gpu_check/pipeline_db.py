"""Part 3's first stages through the DuckDB warehouse, with the weights fallback checked against the SQL."""

from __future__ import annotations

from pathlib import Path

from benchmarks.gpu_check.timed import timed
from benchmarks.gpu_check.weights import drift_weights


def pipeline_db(cfg, root: Path, stages: dict, res: dict):
    """prompts -> rollout -> weights through the stage functions (DuckDB warehouse); also runs the in-script
    weights formula on the stored trajectories and records how far it is from the SQL weights."""
    import pyarrow.parquet as pq

    from drift_core.stages.model import reference_model
    from drift_core.stages.prompts import prompts_stage
    from drift_core.stages.rollout import rollout_stage
    from drift_core.stages.weights import config_rows, weights_stage
    from drift_core.store import Workspace

    ws = Workspace(root)
    prompts = timed(stages, "prompts", "stage", lambda: prompts_stage(ws, cfg.prompts))
    prompts_stage(ws, cfg.eval_prompts)
    ref = reference_model(ws, cfg.rollout)
    out = timed(stages, "rollout", "stage", lambda: rollout_stage(ws, prompts, cfg.protocol, cfg.rollout, ref,
                                                                  progress=False))
    run_id = out.run.run_id
    res["rollout"] = {"run_id": run_id, "trajectories": out.run.trajectories, "tokens": out.run.tokens,
                      "sampled_multi": out.sampled_multi}
    w = cfg.weights
    summary = timed(stages, "weights", "stage", lambda: weights_stage(ws, w, run_id))
    rows = config_rows(ws, w, run_id, runs=[run_id])  # the weighting just computed, by its whole key
    res["weights"] = {"scheme": w.scheme, "beta": w.beta, "gamma": w.gamma, "rows": rows.num_rows,
                      "mean_ess_fraction": summary.mean_ess_fraction}
    # The fallback formula on the same trajectories: guards it against drifting from the SQL.
    shards = sorted(ws.run_dir(run_id).glob("*.parquet"))
    traj = pq.ParquetDataset(shards).read(
        columns=["prompt_id", "sample_idx", "turn_rewards", "format_penalty", "answer_norms"]).to_pylist()
    mine = drift_weights(traj, w.gamma, float(w.beta), cfg.protocol.repeat_penalty_lambda)
    sql = {(p, s): x for p, s, x in zip(rows["prompt_id"].to_pylist(), rows["sample_idx"].to_pylist(),
                                        rows["weight"].to_pylist(), strict=True)}
    if set(sql) != set(mine):
        raise RuntimeError(f"fallback check: {len(sql)} SQL weights vs {len(mine)} trajectories")
    res["weights"]["fallback_max_abs_diff"] = max(abs(sql[k] - mine[k]) for k in sql)
    res["weights"]["fallback_compared"] = len(sql)
    return run_id, rows, ref
