"""The whole pipeline's config: one section per stage, loaded from YAML plus dotted overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from drift_core.config.base import (
    SPEED_ONLY,
    StageConfig,
    format_validation_error,
    parse_override,
    read_yaml,
    set_dotted,
)
from drift_core.config.eval import EvalConfig
from drift_core.config.grpo import GrpoConfig
from drift_core.config.prompts import PromptsConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.registry import RegistryConfig
from drift_core.config.rollout import RolloutConfig
from drift_core.config.runner import RunnerConfig
from drift_core.config.tiny_world import TinyWorldSelection, select_tiny_world
from drift_core.config.train import TrainConfig
from drift_core.config.weights import WeightsConfig
from drift_core.errors import DriftError
from drift_core.resources import default_config
from drift_core.table_files import check_s3_uri

# The embedded default: the tiny world on a CPU (used when no --config is given).
DEFAULT_CONFIG = default_config()


class PipelineConfig(StageConfig):
    """Everything `drift run` needs; each section is the config of one stage."""

    workspace: str = Field(".drift", description="Workspace directory: warehouse, shards, models.")
    tables_uri: str | None = Field(
        default_factory=lambda: os.environ.get("DRIFT_TABLES_URI") or None,
        description="Where the workspace's Parquet tables (trajectories, turns shards) live instead of "
        "<workspace>/tables: s3://BUCKET/PREFIX on S3, MinIO or R2, reached with the standard AWS_ENDPOINT_URL, "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables (needs drift[s3]). Default: $DRIFT_TABLES_URI, "
        "else local. Recorded in <workspace>/tables.json on first use; the warehouse stays local "
        "(docs/scale-out.md).",
        json_schema_extra=SPEED_ONLY,  # placement: the same rows wherever they are stored
    )
    protocol: ProtocolConfig = Field(default_factory=ProtocolConfig, description="Episode protocol.")
    prompts: PromptsConfig = Field(default_factory=PromptsConfig, description="Training prompts for rollouts.")
    eval_prompts: PromptsConfig = Field(
        default_factory=lambda: PromptsConfig(split="test"), description="Held-out evaluation prompts."
    )
    rollout: RolloutConfig = Field(default_factory=RolloutConfig, description="Rollout stage.")
    weights: WeightsConfig = Field(default_factory=WeightsConfig, description="Weights stage.")
    train: TrainConfig = Field(default_factory=TrainConfig, description="Weighted SFT stage.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="Evaluation stage.")
    grpo: GrpoConfig = Field(
        default_factory=GrpoConfig, description="Online multi-turn GRPO (`drift grpo`, compare arm online-grpo)."
    )
    registry: RegistryConfig = Field(default_factory=RegistryConfig, description="Registry and promotion gate.")
    runner: RunnerConfig = Field(
        default_factory=RunnerConfig,
        description="Where the rollout's and the evaluations' shard tasks run: local, or a Ray cluster "
        "(docs/scale-out.md).",
        json_schema_extra=SPEED_ONLY,  # placement: the same rows on any runner
    )
    tiny_world: TinyWorldSelection = Field(
        default_factory=TinyWorldSelection, description="Which tiny world the run uses (tiny_world.task)."
    )

    @field_validator("tables_uri")
    @classmethod
    def _s3_uri(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return check_s3_uri(value)
        except DriftError as exc:
            raise ValueError(str(exc).removeprefix("tables_uri: ")) from None

    @model_validator(mode="after")
    def _tiny_world_task(self) -> PipelineConfig:
        select_tiny_world(self)  # tiny_world.task, when set, decides the sections' tiny world
        return self


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> PipelineConfig:
    """Load YAML (the embedded tiny default when path is None), apply 'section.key=value' overrides, validate.

    Unknown keys are errors that name the key and where it came from.
    """
    path = path or (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    data: dict[str, Any] = read_yaml(path) if path else {}
    return _validated(data, overrides, str(path) if path else "config")


def with_overrides(cfg: PipelineConfig, overrides: list[str] | None) -> PipelineConfig:
    """`cfg` with 'section.key=value' overrides applied (the CLI's --set syntax; a flow's `overrides`)."""
    if not overrides:
        return cfg
    return _validated(cfg.model_dump(mode="json"), overrides, "config")


def _validated(data: dict[str, Any], overrides: list[str] | None, source: str) -> PipelineConfig:
    for item in overrides or []:
        parts, value = parse_override(item)
        set_dotted(data, parts, value)
    if overrides:
        source += " (+ overrides)"
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as err:
        raise DriftError(format_validation_error(err, source)) from None
