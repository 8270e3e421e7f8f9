"""Weights stage: returns and per-prompt importance weights, computed in SQL."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from drift_core import weight_schemes
from drift_core.config.base import StageConfig


class WeightsConfig(StageConfig):
    """Which weighting scheme turns trajectory returns into SFT weights.

    Adding a field: declare it in KEY_FIELDS (it changes a weighting's rows, so it is a column of the
    weighting's key) or in NOT_KEY_FIELDS (with the reason), below; a test refuses an undeclared one."""

    # One of the registered schemes (drift_core/weight_schemes.py): a str checked against the registry
    # when validated, not a Literal, so that a scheme registered later (a plugin, a test) is accepted;
    # the JSON schema's enum and the help are the registry's at the time they are asked for.
    scheme: str = Field(
        weight_schemes.DEFAULT, description=weight_schemes.describe(), json_schema_extra=weight_schemes.json_schema
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
        description=f"{weight_schemes.using('uses_all_fail_zero')} only: weight 0 for prompts where no trajectory "
        "succeeded (drift gives ~1).",
    )
    weight_cap: float | None = Field(
        None, gt=0.0,
        description=f"{weight_schemes.using('uses_weight_cap')} only: clip weights at this value (None: no cap).",
    )
    run_id: str | None = Field(
        None, description="Rollout/import run to weight (None: every run in the warehouse, pooled)."
    )

    @field_validator("scheme")
    @classmethod
    def _scheme_registered(cls, v):
        weight_schemes.get(v)  # "unknown scheme 'x' (choose drift, uniform, ...)"
        return v

    @field_validator("beta")
    @classmethod
    def _beta_positive(cls, v):
        if v != "auto" and not (v > 0.0 and v < float("inf")):
            raise ValueError("beta must be a finite number > 0 or 'auto'")
        return v


# A weighting's key (docs/weights.md): the columns of sql/tables/weightings.sql's `unique:` line, each
# filled from a field here, plus protocol.repeat_penalty_lambda (the returns weighted). Every field
# that changes the rows a weighting computes is a key field, so that weightings differing in it
# coexist and readers (training_set, export-dataset, train) get the one their config names. An
# option that does not apply is stored as one canonical value (drift_core.weights.weighting_key).
# tests/drift_core/test_weights.py checks that every field is declared in exactly one of the two
# and that these columns are the table's key, and changes each key field on one run.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    # the weighted run, and with beta 'auto' the runs that chose the one beta ([] otherwise)
    "run_id": ("run_id", "beta_pool"),
    "scheme": ("scheme",),
    "beta": ("beta_spec",),  # as asked for: 'auto', the number as text, 'none' without uses_beta (value used: `beta`)
    "gamma": ("gamma",),
    "target_ess": ("target_ess",),  # beta 'auto' only; 0 otherwise
    "all_fail_zero": ("all_fail_zero",),  # schemes with uses_all_fail_zero (drift-ext) only; false otherwise
    "weight_cap": ("weight_cap",),  # schemes with uses_weight_cap (drift-ext) only; +infinity when there is no cap
}
# Fields that do not change a weighting's rows (e.g. SPEED_ONLY ones), each with the reason. None yet.
NOT_KEY_FIELDS: dict[str, str] = {}
