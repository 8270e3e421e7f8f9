"""Registry stage: register the trained model and decide whether it becomes the champion."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import StageConfig


class RegistryConfig(StageConfig):
    """Model registry name and the promotion gate (alias `champion` moves only when the gate passes)."""

    model_name: str = Field("drift-policy", description="Registered model name in the MLflow registry.")
    enabled: bool = Field(True, description="Register the trained model and run the promotion gate.")
    metric: str = Field(
        "multi@5",
        pattern=r"^multi@[1-9][0-9]*$",
        description="Metric the gate compares: multi@k = share of problems solved within k turns.",
    )
    gate: Literal["mcnemar", "bootstrap", "better", "always"] = Field(
        "mcnemar",
        description="mcnemar: exact McNemar test on per-problem outcomes; bootstrap: paired bootstrap "
        "interval of the gain; better: any gain; always: promote every new version.",
    )
    confidence: float = Field(
        0.95, gt=0.0, lt=1.0, description="Confidence the paired test needs to call the gain real."
    )
    min_delta: float = Field(0.0, ge=0.0, description="Smallest gain in the metric that can promote.")
    bootstrap_samples: int = Field(10_000, ge=100, description="Resamples of the paired bootstrap gate.")
    seed: int = Field(0, description="Seed of the paired bootstrap.")
