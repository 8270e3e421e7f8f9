"""Returns and importance weights in SQL (cached on the rollout's content and the weights config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import task

from drift_core import weight_schemes
from drift_core.config import WeightsConfig
from drift_core.stages.weights import config_rows, weights_stage
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.rollout import RolloutResult
from tasks.stage import StageResult, cache_key, input_fingerprint

SAMPLE_ROWS = 500  # rows of the weights table kept as an artifact (the table itself stays in DuckDB)


@dataclass
class WeightsResult(StageResult):
    run_id: str = ""
    scheme: str = weight_schemes.DEFAULT
    gamma: float = 0.9
    beta: float | str = 0.1  # as configured ('auto' stays 'auto': the key training_set reads by)
    repeat_penalty_lambda: float = 0.5  # protocol.repeat_penalty_lambda: the returns weighted (part of the key)


CODE = ("drift_core.stages.weights", "drift_core.plots")


@task(name="weights", cache_key_fn=cache_key("weights", *CODE), persist_result=True)
def weights_task(workspace: str, rollout: RolloutResult, cfg: WeightsConfig,
                 repeat_penalty_lambda: float = 0.5) -> WeightsResult:
    from drift_core.plots import weight_distribution

    ws = Workspace(workspace)
    summary = weights_stage(ws, cfg, rollout.run_id, repeat_penalty_lambda=repeat_penalty_lambda)
    # Weights are a deterministic function of the rollout, the config and this code: the key is the content.
    fp = input_fingerprint(CODE, {"rollout": rollout, "cfg": cfg, "repeat_penalty_lambda": repeat_penalty_lambda})
    out = ws.root / "artifacts" / "weights" / fp
    # The weighting just computed, by its whole key (weights_stage weighted this run alone).
    table = config_rows(ws, cfg, rollout.run_id, runs=[rollout.run_id], repeat_penalty_lambda=repeat_penalty_lambda)
    files = [ws.portable(weight_distribution(
        table.column("weight").to_pylist(), table.column("solved").to_pylist(), out / "weight_distribution.png",
    ))]
    files.append(ws.portable(_sample(table, out / "weights_sample.csv")))
    run_logger().info("run %s: %s", rollout.run_id, _described(summary, cfg))
    return WeightsResult(
        fingerprint=fp, params=cfg.model_dump(mode="json"), metrics=summary.metrics(),
        files=files, tags={"drift.run_id": rollout.run_id, "drift.beta_spec": summary.beta_spec},
        run_id=rollout.run_id, scheme=cfg.scheme, gamma=cfg.gamma, beta=cfg.beta,
        repeat_penalty_lambda=repeat_penalty_lambda,
    )


def _described(summary, cfg: WeightsConfig) -> str:
    """'scheme drift, beta 0.1, gamma 0.9: 12 rows; ESS/n 0.42, solved share 0.33, ...' (what the run logs)."""
    m = summary.metrics()
    beta = "none" if summary.beta is None else f"{summary.beta:.3g}"
    if summary.beta_spec == "auto" and summary.beta is not None:
        beta = f"auto -> {beta} (target ESS/n {summary.target_ess}{', not met' if summary.target_met is False else ''})"
    figures = [("mean ESS/n", "mean_ess_fraction"), ("solved share", "solved_share"),
               ("weight on solved", "success_weight_share"), ("weight on all-fail prompts", "all_fail_weight_share"),
               ("zero-weight share", "zero_weight_share"), ("max weight", "max_weight")]
    shown = ", ".join(f"{label} {m[k]:.3g}" for label, k in figures if m.get(k) is not None)
    returns = "returns reused" if summary.returns_reused else "returns computed"
    return (f"scheme {cfg.scheme}, beta {beta}, gamma {cfg.gamma}: {summary.rows} weighted rows; {shown or '-'}; "
            f"{returns}, {summary.seconds:.1f} s")


def _sample(table, path: Path) -> Path:
    """The first rows of the weighting, without the (long) messages: what a reviewer opens first."""
    import pyarrow.csv as pacsv

    keep = [c for c in table.column_names if c != "messages"]
    pacsv.write_csv(table.select(keep).slice(0, SAMPLE_ROWS), path)
    return path
