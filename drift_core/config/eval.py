"""Evaluation stage: the episode protocol with greedy decoding, one trajectory per problem."""

from __future__ import annotations

from pydantic import Field

from drift_core.config.engine import EngineConfig
from drift_core.config.protocol import PromptMode
from drift_core.config.rollout import SeedScheme


class EvalConfig(EngineConfig):
    """Multi-turn evaluation settings."""

    temperature: float = Field(0.0, ge=0.0, description="0 = greedy (the reference's evaluation).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass (temperature > 0).")
    max_new_tokens: int = Field(512, ge=1, description="Maximum tokens per assistant turn.")
    limit: int | None = Field(None, ge=1, description="Evaluate at most this many problems.")
    seed: int = Field(0, description="Seed (used when temperature > 0).")
    seed_scheme: SeedScheme = Field(
        "per_turn",
        description="Seeds of the generate calls (temperature > 0): 'per_turn' = seed at turn 1, seed + 1000 * t "
        "at turn t >= 2; 'fixed' = seed on every call (the reference's).",
    )
    prompt_mode: PromptMode = Field(
        "simple",
        description="User messages of the evaluation episodes, as protocol.prompt_mode for the rollout: 'simple' "
        "or 'full' (protocol.turn_header etc.). The reference evaluates with 'simple', also after 'full' rollouts.",
    )
    confidence: float = Field(0.95, gt=0.0, lt=1.0, description="Confidence level of reported intervals.")
    bootstrap_samples: int = Field(
        1000, ge=10, description="Bootstrap replicates for the intervals of means (mean_turns, repeat_share)."
    )
