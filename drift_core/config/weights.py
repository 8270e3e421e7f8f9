"""Weights stage: returns and per-prompt importance weights, computed in SQL."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from drift_core.config.base import StageConfig

SCHEMES = ("drift", "uniform", "rft", "drift-ext")


class WeightsConfig(StageConfig):
    """Which weighting scheme turns trajectory returns into SFT weights."""

    scheme: Literal["drift", "uniform", "rft", "drift-ext"] = Field(
        "drift",
        description="drift: exp(R/beta) per prompt (the reference); uniform: 1; rft: 1 if solved else 0; "
        "drift-ext: drift with the opt-in fixes below.",
    )
    gamma: float = Field(0.9, gt=0.0, le=1.0, description="Per-turn discount of the reward.")
    beta: float | Literal["auto"] = Field(
        0.1, description="Temperature of exp(R/beta), > 0; 'auto' picks it to reach target_ess."
    )
    target_ess: float = Field(
        0.5, gt=0.0, le=1.0, description="Mean per-prompt ESS/n that beta='auto' aims for."
    )
    all_fail_zero: bool = Field(
        False,
        description="drift-ext only: weight 0 for prompts where no trajectory succeeded (drift gives ~1).",
    )
    weight_cap: float | None = Field(
        None, gt=0.0, description="drift-ext only: clip weights at this value (None: no cap)."
    )
    run_id: str | None = Field(
        None, description="Rollout/import run to weight (None: every run in the warehouse, pooled)."
    )

    @field_validator("beta")
    @classmethod
    def _beta_positive(cls, v):
        if v != "auto" and not (v > 0.0 and v < float("inf")):
            raise ValueError("beta must be a finite number > 0 or 'auto'")
        return v
