"""Sample trajectories from the reference (cached on prompts, model content, protocol and settings)."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import task

from drift_core.config import ProtocolConfig, RolloutConfig
from drift_core.fingerprint import code_fingerprint, rollout_fingerprint
from drift_core.store import Workspace
from tasks.model import ModelRef
from tasks.prompts import PromptsResult
from tasks.stage import StageResult, cache_key

CODE = ("drift_core.rollout", "drift_core.multiturn", "drift_core.episode", "drift_core.engines",
        "drift_core.answers", "drift_core.chat", "sql/tables/trajectories.sql", "sql/tables/turns.sql")
# Settings that change speed or placement, not samples.
NOT_CONTENT = {"batch_size", "device", "gpu_memory_utilization", "prompts_per_shard"}


@dataclass
class RolloutResult(StageResult):
    run_id: str = ""


def _key(workspace: str, prompts: PromptsResult, model: ModelRef, protocol: ProtocolConfig,
         cfg: RolloutConfig) -> list:
    return [code_fingerprint(*CODE), prompts.fingerprint, model.fingerprint, protocol,
            cfg.model_dump(mode="json", exclude=NOT_CONTENT)]


@task(name="rollout", cache_key_fn=cache_key("rollout", _key), persist_result=True)
def rollout_task(workspace: str, prompts: PromptsResult, model: ModelRef, protocol: ProtocolConfig,
                 cfg: RolloutConfig) -> RolloutResult:
    from drift_core.rollout import rollout

    ws = Workspace(workspace)
    res = rollout(ws, prompts.rows, protocol, cfg, model.path, progress=False)
    metrics = {"trajectories": res.trajectories, "generated_tokens": res.tokens,
               "shards_written": res.shards_written, "seconds": res.seconds}
    metrics |= reference_multi_at_k(ws, res.run_id, protocol.max_turns)
    return RolloutResult(
        fingerprint=rollout_fingerprint(ws, res.run_id), params=cfg.model_dump(mode="json"),
        metrics=metrics, tags={"drift.run_id": res.run_id, "drift.model": model.path}, run_id=res.run_id,
    )


def reference_multi_at_k(ws: Workspace, run_id: str, max_turns: int) -> dict[str, float]:
    """Sampled reference multi@k over the run's trajectories: share solved within k turns."""
    con = ws.connect(read_only=True)
    try:
        row = con.execute(
            "select count(*), list(t_star) from trajectories where run_id = ?", [run_id]
        ).fetchone()
    finally:
        con.close()
    n, stars = row[0], [t for t in (row[1] or []) if t is not None]
    if not n:
        return {}
    return {f"ref_multi_at_{k}": sum(t <= k for t in stars) / n for k in range(1, max_turns + 1)}
