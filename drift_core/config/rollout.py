"""Rollout stage: sample multi-turn trajectories once from the frozen reference policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import SPEED_ONLY
from drift_core.config.engine import EngineConfig

SeedScheme = Literal["per_turn", "fixed"]


class RolloutConfig(EngineConfig):
    """Sampling settings and engine choice for the rollout stage."""

    model: str | None = Field(
        None,
        description="Reference model: a local directory or a hub id; 'tiny-world-choice' = the workspace's "
        "multiple-choice tiny world. Default: the workspace's tiny world (tiny_world.task picks which).",
    )
    n: int = Field(16, ge=1, description="Trajectories per prompt (samples drawn at turn 1).")
    temperature: float = Field(1.0, ge=0.0, description="Sampling temperature (0 = greedy).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    max_new_tokens: int = Field(512, ge=1, description="Maximum tokens generated per assistant turn.")
    seed: int = Field(42, description="Base seed; seed_scheme derives each call's seed from it.")
    seed_scheme: SeedScheme = Field(
        "per_turn",
        description="Seeds of the generate calls: 'per_turn' = shard k's turn 1 gets seed * 100003 + k, its turn "
        "t >= 2 that + 1000 * t; 'fixed' = seed on every call, every shard and turn (the reference's).",
    )
    prompts_per_shard: int = Field(
        64, ge=1, json_schema_extra=SPEED_ONLY,
        description="Prompts per Parquet shard; a killed run resumes at shard granularity (an existing run "
        "keeps the shard size it started with).",
    )
    run_id: str | None = Field(
        None, description="Name of this rollout run; default derives from model, prompts and settings."
    )
