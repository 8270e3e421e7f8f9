"""Weights stage: returns and per-prompt importance weights, computed in SQL."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import StageConfig


class WeightsConfig(StageConfig):
    """Which weighting scheme turns trajectory returns into SFT weights."""

    scheme: Literal["drift", "uniform", "rft", "drift-ext"] = Field(
        "drift",
        description="drift: exp(R/beta) per prompt (the reference); uniform: 1; rft: 1 if solved else 0; "
        "drift-ext: drift with the opt-in fixes below.",
    )
    gamma: float = Field(0.9, gt=0.0, le=1.0, description="Per-turn discount of the reward.")
    beta: float | Literal["auto"] = Field(
        0.1, description="Temperature of exp(R/beta); 'auto' picks it to reach target_ess."
    )
    target_ess: float = Field(
        0.5, gt=0.0, le=1.0, description="Mean per-prompt ESS/n that beta='auto' aims for."
    )
    all_fail_zero: bool = Field(
        False, description="Give weight 0 to prompts where no trajectory succeeded (drift gives ~1)."
    )
    weight_cap: float | None = Field(None, gt=0.0, description="Clip weights at this value (None: no cap).")
