"""Where prompts come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drift_core.config.base import StageConfig


class PromptsConfig(StageConfig):
    """A prompt source: a local file, a Hugging Face dataset, or the arithmetic generator."""

    source: Literal["file", "hf", "arithmetic", "tiny-world", "tiny-world-choice", "benchmark"] = Field(
        "tiny-world",
        description="file: local JSONL/Parquet; hf: a datasets name; arithmetic: the built-in generator; "
        "tiny-world: the tiny world's prompt split (train, validation or test; built on first use); "
        "tiny-world-choice: the same for the multiple-choice tiny world (see tiny_world.task); benchmark: a "
        "named evaluation set (see `benchmark`; `path` may point at a local copy).",
    )
    benchmark: str | None = Field(
        None,
        description="Named evaluation set (source=benchmark): math500, hendrycks_math, theoremqa, gpqa, "
        "mmlu-redux, mmlu-pro.",
    )
    path: str | None = Field(None, description="File path (source=file) or dataset name/path (source=hf).")
    split: str = Field("train", description="Split to load and to record in the prompts table.")
    subset: str | None = Field(None, description="Dataset config name (source=hf).")
    question_field: str | None = Field(
        None, description="Column holding the question (default: question, then query, problem)."
    )
    gold_field: str | None = Field(
        None, description="Column holding the gold answer (default: gold, answer; or parsed from response)."
    )
    id_field: str | None = Field(None, description="Column holding a stable id (default: prompt_id, id).")
    filter_prefix: str | None = Field(
        None, description="Keep rows whose 'type' starts with this (the reference uses 'MATH_' on MetaMathQA)."
    )
    limit: int | None = Field(None, ge=1, description="Keep at most this many prompts (after shuffling).")
    shuffle: bool = Field(False, description="Shuffle before applying limit.")
    shuffle_mode: Literal["python", "datasets"] = Field(
        "python",
        description="How shuffle orders the prompts (source file/hf/benchmark/tiny-world/arithmetic). python: "
        "random.Random(seed).shuffle. datasets: datasets.Dataset.shuffle(seed=seed), after filter_prefix, then "
        "the first `limit`: the reference's prompt subset (MetaMathQA, filter 'MATH_', shuffle(seed=42), "
        "first 1800). Needs shuffle: true. Reference: datasets.",
    )
    seed: int = Field(42, description="Seed for shuffling and for the arithmetic generator.")
    count: int = Field(64, ge=1, description="Number of problems (source=arithmetic).")
    levels: list[int] = Field(
        [1, 2, 3], description="Difficulty levels to draw from (source=arithmetic); see drift_core.prompts.arithmetic."
    )

    @model_validator(mode="after")
    def _datasets_mode_shuffles(self) -> PromptsConfig:
        if self.shuffle_mode == "datasets" and not self.shuffle:
            raise ValueError("shuffle_mode 'datasets' is a way to shuffle: set shuffle: true as well")
        return self
