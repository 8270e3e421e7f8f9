"""Rollout stage: trajectories of the reference on a prompt set (and the gold-answer run of gold-SFT)."""

from __future__ import annotations

from dataclasses import dataclass, field

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.rollout import RolloutConfig
from drift_core.fingerprint import rollout_fingerprint
from drift_core.prompts import PromptSet
from drift_core.rollout import RolloutResult, rollout
from drift_core.sqlfiles import run_sql
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace


@dataclass
class RolloutOutput:
    run: RolloutResult  # run_id and counts
    fingerprint: str  # the run's shards, by content: what downstream keys use
    sampled_multi: dict[str, float] = field(default_factory=dict)  # multi@k of the sampled trajectories


def rollout_stage(ws: Workspace, prompts: PromptSet, protocol: ProtocolConfig, cfg: RolloutConfig,
                  model: ModelRef, *, progress: bool = True, round: int = 1) -> RolloutOutput:
    """Sample cfg.n trajectories per prompt (resuming a killed run), under the set's protocol; `round` >= 2:
    a round of iterative DRIFT, sampling from the previous round's model (drift_core.rollout.round_run_id)."""
    res = rollout(ws, prompts.rows, prompts.protocol(protocol), cfg, model.path, progress=progress, round=round)
    return rollout_output(ws, res, protocol)


def rollout_output(ws: Workspace, res: RolloutResult, protocol: ProtocolConfig) -> RolloutOutput:
    """The stage's output once every shard of run `res` is on disk (whichever runner wrote them)."""
    sampled = sampled_multi_at_k(ws, res.run_id, protocol.max_turns)
    return RolloutOutput(res, rollout_fingerprint(ws, res.run_id), sampled)


def gold_stage(ws: Workspace, prompts: PromptSet, protocol: ProtocolConfig) -> RolloutOutput:
    """The gold-SFT arm's data, stored as a run: question -> <answer>gold</answer> (one turn, solved)."""
    from drift_core.compare.gold import write_gold_run

    run_id, n = write_gold_run(ws, prompts.rows, prompts.protocol(protocol))
    return RolloutOutput(RolloutResult(run_id, n, 0, 1, 0), rollout_fingerprint(ws, run_id))


def sampled_multi_at_k(ws: Workspace, run_id: str, max_turns: int) -> dict[str, float]:
    """Share of the run's trajectories solved within k turns, k = 1..max_turns."""
    con = ws.connect(read_only=True)
    try:
        n, stars = run_sql(con, "lookups/run_t_stars", {"run_id": run_id}).fetchone()
    finally:
        con.close()
    if not n:
        return {}
    return {f"multi@{k}": sum(t <= k for t in stars or []) / n for k in range(1, max_turns + 1)}
