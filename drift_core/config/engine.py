"""Engine settings shared by the rollout and the evaluation: which engine, and where it runs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from drift_core.config.base import SPEED_ONLY, StageConfig
from drift_core.engines.registry import AUTO, ENGINES


class EngineConfig(StageConfig):
    """Generation engine and its placement (RolloutConfig and EvalConfig extend it)."""

    # Allowed values and help come from the engine registry (drift_core/engines/registry.py), so a
    # registered engine is a valid value without touching this file.
    engine: str = Field(
        AUTO, json_schema_extra=SPEED_ONLY, description=f"Generation engine: {ENGINES.describe()}."
    )
    batch_size: int = Field(
        256, ge=1, json_schema_extra=SPEED_ONLY,
        description="Sequences per generate call (hf); vLLM schedules its own batches.",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Model dtype: auto = bf16 on CUDA, fp32 on CPU."
    )
    device: str = Field(
        "auto", json_schema_extra=SPEED_ONLY, description="torch device for the hf engine: auto, cpu, cuda, cuda:1 ..."
    )
    tensor_parallel_size: int = Field(1, ge=1, description="vLLM tensor parallel degree.")
    gpu_memory_utilization: float = Field(
        0.85, gt=0.0, le=1.0, json_schema_extra=SPEED_ONLY, description="vLLM GPU memory share."
    )
    max_model_len: int | None = Field(None, ge=1, description="vLLM context length cap (default: the model's).")

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, v: str) -> str:
        return ENGINES.check(v)
