"""Evaluation stage: the episode protocol with greedy decoding, one trajectory per problem."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import StageConfig


class EvalConfig(StageConfig):
    """Multi-turn evaluation settings."""

    temperature: float = Field(0.0, ge=0.0, description="0 = greedy (the reference's evaluation).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass (temperature > 0).")
    max_new_tokens: int = Field(512, ge=1, description="Maximum tokens per assistant turn.")
    limit: int | None = Field(None, ge=1, description="Evaluate at most this many problems.")
    seed: int = Field(0, description="Seed (used when temperature > 0).")
    confidence: float = Field(0.95, gt=0.0, lt=1.0, description="Confidence level of reported intervals.")
    bootstrap_samples: int = Field(
        1000, ge=10, description="Bootstrap replicates for the intervals of means (mean_turns, repeat_share)."
    )
    engine: Literal["auto", "hf", "vllm"] = Field(
        "auto", description="Generation engine: hf, vllm, or auto (vllm on CUDA, hf on CPU); as in rollout."
    )
    batch_size: int = Field(256, ge=1, description="Sequences per generate call (hf).")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Model dtype: auto = bf16 on CUDA, fp32 on CPU."
    )
    device: str = Field("auto", description="torch device for the hf engine: auto, cpu, cuda, cuda:1 ...")
    tensor_parallel_size: int = Field(1, ge=1, description="vLLM tensor parallel degree.")
    gpu_memory_utilization: float = Field(0.85, gt=0.0, le=1.0, description="vLLM GPU memory share.")
    max_model_len: int | None = Field(None, ge=1, description="vLLM context length cap (default: the model's).")
