"""Weighted SFT of the reference on the weighted rollouts (cached on weights, model and train config)."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task

from drift_core.config import ProtocolConfig, TrainConfig
from drift_core.fingerprint import code_fingerprint, digest, model_fingerprint
from drift_core.store import Workspace
from tasks.model import ModelRef
from tasks.stage import StageResult, cache_key
from tasks.weights import WeightsResult

CODE = ("drift_core.train", "drift_core.chat")


@dataclass
class TrainResult(StageResult):
    model: ModelRef | None = None


def _key(workspace: str, weights: WeightsResult, base: ModelRef, protocol: ProtocolConfig,
         cfg: TrainConfig) -> list:
    # The protocol's prefill shapes the training targets, so it is part of what training reads.
    return [code_fingerprint(*CODE), weights.fingerprint, base.fingerprint, protocol, cfg]


@task(name="train", cache_key_fn=cache_key("train", _key), persist_result=True)
def train_task(workspace: str, weights: WeightsResult, base: ModelRef, protocol: ProtocolConfig,
               cfg: TrainConfig) -> TrainResult:
    from drift_core.train import train  # transformers' Trainer: import only when training
    from drift_core.weights import training_set

    ws = Workspace(workspace)
    out_dir = ws.root / "models" / f"sft-{digest(*_key(workspace, weights, base, protocol, cfg))}"
    con = ws.connect(read_only=True)
    try:
        rows = training_set(con, run_id=weights.run_id, scheme=weights.scheme, gamma=weights.gamma,
                            beta=weights.beta)
    finally:
        con.close()
    res = train(rows, base.path, cfg, out_dir, progress=False, protocol=protocol)
    model = ModelRef(path=str(out_dir), fingerprint=model_fingerprint(str(out_dir)))
    metrics = {"global_step": res.global_step, "seconds": res.seconds,
               "supervised_tokens": res.supervised_tokens, "samples": getattr(res, "samples", 0)}
    if res.train_loss:
        metrics["final_loss"] = res.train_loss[-1][1]
    return TrainResult(
        fingerprint=model.fingerprint, params=cfg.model_dump(mode="json"), metrics=metrics,
        series={"train_loss": list(res.train_loss)}, tags={"drift.model_dir": str(out_dir)}, model=model,
    )
