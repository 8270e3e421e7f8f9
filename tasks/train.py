"""Weighted SFT of the reference on the weighted rollouts (cached on weights, model and train config)."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task

from drift_core import progress
from drift_core.config import ProtocolConfig, TrainConfig
from drift_core.config.weights import WeightsConfig
from drift_core.memory import peak_rss
from drift_core.stages.model import ModelRef
from drift_core.stages.train import TrainInputs, train_stage
from drift_core.stages.weights import config_rows
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.stage import StageResult, cache_key
from tasks.weights import WeightsResult


@dataclass
class TrainResult(StageResult):
    model: ModelRef | None = None


# The protocol is a parameter because its prefill shapes the training targets.
@task(name="train", cache_key_fn=cache_key("train", "drift_core.stages.train"), persist_result=True)
def train_task(workspace: str, weights: WeightsResult, base: ModelRef, protocol: ProtocolConfig,
               cfg: TrainConfig) -> TrainResult:
    ws = Workspace(workspace)
    # The weighting the weights stage computed, by its whole key (every option that changes its rows).
    rows = config_rows(ws, WeightsConfig.model_validate(weights.params), weights.run_id, runs=[weights.run_id],
                       repeat_penalty_lambda=weights.repeat_penalty_lambda, order=cfg.row_order)
    with peak_rss() as peak:
        out = train_stage(ws, TrainInputs(rows, base, f"{weights.run_id}-{weights.scheme}"), protocol, cfg,
                          progress=progress.active())
    res = out.result
    metrics = {"global_step": res.global_step, "seconds": res.seconds,
               "supervised_tokens": res.supervised_tokens, "samples": res.samples, "peak_rss_bytes": peak.bytes}
    if res.train_loss:
        metrics["final_loss"] = res.train_loss[-1][1]
    loss = f"loss {res.train_loss[0][1]:.4f} -> {res.train_loss[-1][1]:.4f}" if res.train_loss else "no loss logged"
    run_logger().info(
        "%d steps on %d samples of run %s (%d supervised tokens) in %.1f s (%.0f tok/s), %s; model %s",
        res.global_step, res.samples, weights.run_id, res.supervised_tokens, res.seconds,
        res.supervised_tokens / max(res.seconds, 1e-9), loss, ws.portable(out.out_dir),
    )
    return TrainResult(
        fingerprint=out.model.fingerprint, params=cfg.model_dump(mode="json"), metrics=metrics,
        series={"train_loss": list(res.train_loss), "eval_loss": list(res.eval_loss)},  # eval: empty unless held out
        tags={"drift.model_dir": ws.portable(out.out_dir)}, model=out.model,
    )
