"""Typed configs, one per stage (docs/design.md §4.3)."""

from drift_core.config.base import StageConfig
from drift_core.config.eval import EvalConfig
from drift_core.config.grpo import GrpoConfig
from drift_core.config.pipeline import PipelineConfig, load_config, with_overrides
from drift_core.config.prompts import PromptsConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.rollout import RolloutConfig
from drift_core.config.runner import RunnerConfig
from drift_core.config.train import TrainConfig
from drift_core.config.weights import WeightsConfig

__all__ = [
    "EvalConfig",
    "GrpoConfig",
    "PipelineConfig",
    "PromptsConfig",
    "ProtocolConfig",
    "RolloutConfig",
    "RunnerConfig",
    "StageConfig",
    "TrainConfig",
    "WeightsConfig",
    "load_config",
    "with_overrides",
]
