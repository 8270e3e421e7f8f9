"""The online-grpo arm's settings in a comparison: its token budget, step cap, checkpoints and learning-rate grid
(docs/design.md §10, "The answer")."""

from __future__ import annotations

import math

from drift_core.config.compare import CompareConfig
from drift_core.config.grpo import GrpoConfig


def token_budget(compare: CompareConfig, round_tokens: int) -> int | None:
    """compare.online_token_multiple x the tokens of one DRIFT round (the reference rollout's generated tokens),
    rounded up so the run reaches at least the multiple; None without a rollout to measure."""
    return math.ceil(compare.online_token_multiple * round_tokens) if round_tokens > 0 else None


def online_config(grpo: GrpoConfig, compare: CompareConfig, round_tokens: int) -> GrpoConfig:
    """The grpo section as the online-grpo arm runs it: until its token budget (capped at
    compare.online_max_steps), scored at compare.online_checkpoints points; without a budget, compare.max_steps
    like every trained arm. Seed and learning rate are the arm x seed's (tasks/compare.py)."""
    budget = token_budget(compare, round_tokens)
    return grpo.model_copy(update={
        "token_budget": budget, "max_steps": compare.online_max_steps if budget else compare.max_steps,
        "checkpoints": compare.online_checkpoints, "checkpoint_prompts": compare.online_checkpoint_prompts})


def online_lr_grid(compare: CompareConfig) -> list[float]:
    """The learning rates the online arm's selection tries: compare.online_lr_grid, else the shared grid."""
    return list(compare.online_lr_grid or compare.lr_grid)
