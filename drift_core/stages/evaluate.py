"""Evaluation stage: a model on a prompt set under the set's protocol (eval_trajectories, eval_metrics)."""

from __future__ import annotations

from drift_core.config.eval import EvalConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.evaluate import EvalResult, evaluate
from drift_core.prompts import PromptSet
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace


def evaluate_stage(ws: Workspace, model: ModelRef, prompts: PromptSet, protocol: ProtocolConfig, cfg: EvalConfig,
                   *, eval_id: str | None = None, progress: bool = True) -> EvalResult:
    """One episode per problem (greedy unless cfg.temperature > 0), stored under the set's label."""
    return evaluate(ws, model.path, prompts.rows, prompts.protocol(protocol), cfg,
                    dataset=prompts.label, eval_id=eval_id, progress=progress)
