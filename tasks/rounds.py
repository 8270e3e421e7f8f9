"""One round of iterative DRIFT as the pipeline's cached tasks: sample from the last round's model, weight
those trajectories, train from that model (docs/design.md §10, "Rounds").

`drift run --rounds N` (flows/drift_pipeline.py) and the compare arms drift-r2 / drift-r3 (tasks/compare.py)
both call `drift_round` for rounds 2..N; round 1 is their usual rollout -> weights -> train. Every stage is
cached on its inputs by content: round k's rollout and training take round k-1's model (its fingerprint is in
both keys), so a rerun with more rounds finds rounds 1..N-1 Cached and computes only the new ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from drift_core.compare.cost import Cost, of_rollout, of_training
from drift_core.compare.runtime import run_tokens
from drift_core.config import ProtocolConfig, RolloutConfig, RunnerConfig, TrainConfig, WeightsConfig
from drift_core.errors import DriftError
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace
from tasks.prompts import PromptsResult
from tasks.rollout import RolloutResult, rollout_task
from tasks.stage import run_stage
from tasks.train import TrainResult, train_task
from tasks.weights import WeightsResult, weights_task


@dataclass
class Round:
    round: int
    samples: RolloutResult
    weighted: WeightsResult
    trained: TrainResult
    cost: Cost  # this round's own: its rollout and its training

    @property
    def model(self) -> ModelRef:
        return self.trained.model


def drift_round(workspace: str, k: int, model: ModelRef, prompts: PromptsResult, protocol: ProtocolConfig,
                rollout: RolloutConfig, weights: WeightsConfig, train: TrainConfig, *, suffix: str,
                runner: RunnerConfig | None = None) -> Round:
    """Round k (>= 2) from `model` (round k-1's): its stages are named `<stage><suffix>` (rollout, weights,
    train), e.g. suffix '.round2' -> 'rollout.round2'. `runner` places the rollout's shards (tasks/shards.py;
    default local): on any runner they sample round k-1's model under round k's run id."""
    if k < 2:
        raise DriftError(f"round {k}: round 1 is the usual rollout of the reference, rounds 2.. come from here")
    samples = run_stage(rollout_task, workspace, prompts, model, protocol, rollout, runner=runner, round=k,
                        stage_name=f"rollout{suffix}")
    weighted = run_stage(weights_task, workspace, samples, weights, protocol.repeat_penalty_lambda,
                         stage_name=f"weights{suffix}")
    trained = run_stage(train_task, workspace, weighted, model, protocol, train, stage_name=f"train{suffix}")
    cost = of_rollout(samples.metrics, run_tokens(Workspace(workspace), samples.run_id)) + of_training(trained.metrics)
    return Round(k, samples, weighted, trained, cost)


def round_row(k: int, metrics: dict, max_turns: int, cost: Cost, run_id: str = "", model: str = "") -> dict:
    """One round's figures as MLflow and the summaries keep them: its rollout run and trained model, multi@1..K
    of its evaluation (greedy) and the cost up to and including it."""
    row = {"round": k, **({"run_id": run_id} if run_id else {}), **({"model": model} if model else {})}
    row |= {f"multi@{t}": metrics.get(f"multi@{t}") for t in range(1, max_turns + 1)}
    return row | cost.record()
