"""Sample trajectories from the reference (cached on prompts, model content, protocol and settings)."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task

from drift_core import progress
from drift_core.config import ProtocolConfig, RolloutConfig
from drift_core.memory import peak_rss
from drift_core.stages.model import ModelRef
from drift_core.stages.rollout import RolloutOutput, gold_stage, rollout_stage
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.prompts import PromptsResult
from tasks.stage import StageResult, cache_key


@dataclass
class RolloutResult(StageResult):
    run_id: str = ""


CODE = ("drift_core.stages.rollout",)


@task(name="rollout", cache_key_fn=cache_key("rollout", *CODE), persist_result=True)
def rollout_task(workspace: str, prompts: PromptsResult, model: ModelRef, protocol: ProtocolConfig,
                 cfg: RolloutConfig, round: int = 1) -> RolloutResult:
    """`round` >= 2: a round of iterative DRIFT (`model` = the previous round's); it is part of the cache key
    as every parameter is, and names the run (drift_core.rollout.round_run_id)."""
    with peak_rss() as peak:
        out = rollout_stage(Workspace(workspace), prompts.prompt_set, protocol, cfg, model,
                            progress=progress.active(), round=round)
    r = out.run
    metrics = {"trajectories": r.trajectories, "generated_tokens": r.tokens,
               "shards_written": r.shards_written, "seconds": r.seconds, "peak_rss_bytes": peak.bytes,
               "round": round}
    metrics |= {f"ref_{k.replace('@', '_at_')}": v for k, v in out.sampled_multi.items()}
    # Tokens and seconds are this attempt's: shards an earlier (killed) attempt wrote are only read back.
    run_logger().info(
        "run %s of %s: %d trajectories from %d prompts (n=%d), %d of %d shards written (%d already on disk), "
        "%d tokens in %.1f s (%.0f tok/s); sampled %s", r.run_id, model.path, r.trajectories, len(prompts.rows),
        cfg.n, r.shards_written, r.shards_written + r.shards_skipped, r.shards_skipped, r.tokens, r.seconds,
        r.tokens / max(r.seconds, 1e-9), " · ".join(f"{k} {v:.3f}" for k, v in out.sampled_multi.items()) or "-",
    )
    return _result(out, cfg.model_dump(mode="json"), {"drift.model": model.path}, metrics)


@task(name="gold-sft-data", cache_key_fn=cache_key("gold-sft-data", *CODE), persist_result=True)
def gold_sft_task(workspace: str, prompts: PromptsResult, protocol: ProtocolConfig) -> RolloutResult:
    """The gold-SFT arm's data as a RolloutResult, so the weights (scheme uniform) and train tasks take it."""
    out = gold_stage(Workspace(workspace), prompts.prompt_set, protocol)
    run_logger().info("run %s: %d one-turn trajectories answering with the gold answer", out.run.run_id,
                          out.run.trajectories)
    return _result(out, {"source": "gold answers", "prompts": out.run.trajectories}, {},
                   {"trajectories": out.run.trajectories, "generated_tokens": 0})


def _result(out: RolloutOutput, params: dict, tags: dict, metrics: dict) -> RolloutResult:
    return RolloutResult(fingerprint=out.fingerprint, params=params, metrics=metrics,
                         tags={"drift.run_id": out.run.run_id, **tags}, run_id=out.run.run_id)
