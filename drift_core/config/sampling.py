"""Sampling settings shared by the rollout and the evaluation: one definition, one help text per field.

RolloutConfig and EvalConfig inherit these fields, so their YAML keys stay flat (`rollout.temperature`,
`eval.seed`). The two stages differ only in defaults (the evaluation is greedy with seed 0), which they
restate with the same annotated type, keeping the constraints and help written here.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from drift_core.config.base import StageConfig

SeedScheme = Literal["per_turn", "fixed"]

Temperature = Annotated[float, Field(ge=0.0, description="Sampling temperature (0 = greedy).")]
Seed = Annotated[int, Field(
    description="Base seed of the generate calls (used when temperature > 0); seed_scheme derives each "
    "call's seed from it.",
)]


class SamplingConfig(StageConfig):
    """How each assistant turn is sampled (drift_core.engines.base.Sampling, drift_core.multiturn)."""

    temperature: Temperature = 1.0
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass (temperature > 0).")
    max_new_tokens: int = Field(512, ge=1, description="Maximum tokens generated per assistant turn.")
    seed: Seed = 42
    seed_scheme: SeedScheme = Field(
        "per_turn",
        description="Seeds of the generate calls: 'per_turn' = each call its own: at turn 1 the base seed (the "
        "rollout's shard k: seed * 100003 + k), at turn t >= 2 that + 1000 * t; 'fixed' = seed on every call, "
        "every shard and turn (the reference's).",
    )
