"""Rollout stage: sample multi-turn trajectories once from the frozen reference policy."""

from __future__ import annotations

from pydantic import Field

from drift_core.config.base import SPEED_ONLY
from drift_core.config.engine import EngineConfig
from drift_core.config.sampling import SamplingConfig, SeedScheme
from drift_core.worlds import DEFAULT, WORLDS

__all__ = ["RolloutConfig", "SeedScheme"]


class RolloutConfig(SamplingConfig, EngineConfig):
    """Sampling settings (SamplingConfig's defaults) and engine choice for the rollout stage."""

    model: str | None = Field(
        None,
        description="Reference model: a local directory or a hub id; a tiny world's source name = that world in "
        f"the workspace ({', '.join(f'{w.source!r}: {w.name}' for w in WORLDS)}). Default: the workspace's tiny "
        f"world (tiny_world.task picks which; unset: {DEFAULT}).",
    )
    n: int = Field(16, ge=1, description="Trajectories per prompt (samples drawn at turn 1).")
    prompts_per_shard: int = Field(
        64, ge=1, json_schema_extra=SPEED_ONLY,
        description="Prompts per Parquet shard; a killed run resumes at shard granularity (an existing run "
        "keeps the shard size it started with).",
    )
    run_id: str | None = Field(
        None, description="Name of this rollout run; default derives from model, prompts and settings."
    )
