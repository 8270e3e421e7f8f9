"""Rollout stage: sample multi-turn trajectories once from the frozen reference policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import StageConfig


class RolloutConfig(StageConfig):
    """Sampling settings and engine choice for the rollout stage."""

    model: str | None = Field(
        None, description="Reference model: a local directory or a hub id. Default: the workspace's tiny world."
    )
    engine: Literal["auto", "hf", "vllm"] = Field(
        "auto", description="Generation engine: hf (transformers), vllm, or auto (vllm on CUDA, hf on CPU)."
    )
    n: int = Field(16, ge=1, description="Trajectories per prompt (samples drawn at turn 1).")
    temperature: float = Field(1.0, ge=0.0, description="Sampling temperature (0 = greedy).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass.")
    max_new_tokens: int = Field(512, ge=1, description="Maximum tokens generated per assistant turn.")
    seed: int = Field(42, description="Base seed; each shard derives its own so resumed runs are reproducible.")
    batch_size: int = Field(256, ge=1, description="Sequences per generate call (hf); vLLM schedules its own batches.")
    prompts_per_shard: int = Field(
        64, ge=1, description="Prompts per Parquet shard; a killed run resumes at shard granularity."
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Model dtype: auto = bf16 on CUDA, fp32 on CPU."
    )
    device: str = Field("auto", description="torch device for the hf engine: auto, cpu, cuda, cuda:1 ...")
    tensor_parallel_size: int = Field(1, ge=1, description="vLLM tensor parallel degree.")
    gpu_memory_utilization: float = Field(0.85, gt=0.0, le=1.0, description="vLLM GPU memory share.")
    max_model_len: int | None = Field(None, ge=1, description="vLLM context length cap (default: the model's).")
    run_id: str | None = Field(
        None, description="Name of this rollout run; default derives from model, prompts and settings."
    )
