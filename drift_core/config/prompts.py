"""Where prompts come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drift_core.config.base import StageConfig
from drift_core.errors import DriftError
from drift_core.worlds import DEFAULT, WORLDS, source_names

# The sources that are no tiny world; each registered world adds its own (drift_core/worlds).
SOURCES = ("file", "hf", "arithmetic", "benchmark")


class PromptsConfig(StageConfig):
    """A prompt source: a local file, a Hugging Face dataset, or the arithmetic generator."""

    source: str = Field(
        WORLDS.get(DEFAULT).source,
        description="file: local JSONL/Parquet; hf: a datasets name; arithmetic: the built-in generator; "
        + "; ".join(f"{w.source}: the {w.name} tiny world's prompt split (train, validation or test; built on "
                    "first use)" for w in WORLDS)
        + " (see tiny_world.task); benchmark: a named evaluation set (see `benchmark`; `path` may point at a "
        "local copy).",
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

    @field_validator("source")
    @classmethod
    def _known_source(cls, v: str) -> str:
        if v not in SOURCES and v not in source_names():
            raise DriftError(f"unknown prompts.source '{v}' (choose one of {', '.join([*SOURCES, *source_names()])})")
        return v

    @model_validator(mode="after")
    def _datasets_mode_shuffles(self) -> PromptsConfig:
        if self.shuffle_mode == "datasets" and not self.shuffle:
            raise ValueError("shuffle_mode 'datasets' is a way to shuffle: set shuffle: true as well")
        return self
