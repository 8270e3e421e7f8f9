"""Evaluation stage: the episode protocol with greedy decoding, one trajectory per problem."""

from __future__ import annotations

from pydantic import Field

from drift_core.config.base import SPEED_ONLY
from drift_core.config.engine import EngineConfig
from drift_core.config.protocol import PromptMode
from drift_core.config.sampling import SamplingConfig, Seed, Temperature


class EvalConfig(SamplingConfig, EngineConfig):
    """Multi-turn evaluation settings: SamplingConfig's fields, greedy with seed 0 by default."""

    temperature: Temperature = 0.0  # greedy, the reference's evaluation
    seed: Seed = 0
    limit: int | None = Field(None, ge=1, description="Evaluate at most this many problems.")
    prompt_mode: PromptMode = Field(
        "simple",
        description="User messages of the evaluation episodes, as protocol.prompt_mode for the rollout: 'simple' "
        "or 'full' (protocol.turn_header etc.). The reference evaluates with 'simple', also after 'full' rollouts.",
    )
    prompts_per_shard: int | None = Field(
        None, ge=1, json_schema_extra=SPEED_ONLY,
        description="Problems per evaluation shard (one task each on the task runner, runner.kind); None = one "
        "shard. A greedy result does not depend on it; at temperature > 0 shard k is seeded seed + 7919 * k "
        "(shard 0 keeps seed), so it changes which draws are taken, as batch_size does (docs/design.md §4.3).",
    )
    confidence: float = Field(0.95, gt=0.0, lt=1.0, description="Confidence level of reported intervals.")
    bootstrap_samples: int = Field(
        1000, ge=10, description="Bootstrap replicates for the intervals of means (mean_turns, repeat_share)."
    )
