"""What every flow does first: resolve the workspace, open the parent MLflow run with the stage
settings, then the reference model and the train / test prompts (all cached stages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_core.config import PromptsConfig, RolloutConfig
from tasks import tracking
from tasks.model import ModelRef, reference_model
from tasks.prompts import PromptsResult, prompts_task
from tasks.stage import StageSettings, run_stage, stage_settings


@dataclass
class FlowSetup:
    ws: str  # the workspace, absolute
    settings: StageSettings
    parent: Any  # the parent mlflow.ActiveRun
    reference: ModelRef
    train_prompts: PromptsResult
    test_prompts: PromptsResult

    def result(self) -> dict:
        """The fields every flow returns: task states and the MLflow / Prefect run ids."""
        return {"states": self.settings.states, "mlflow_run_id": self.parent.info.run_id,
                "flow_run_id": self.parent.data.tags.get("prefect.flow_run_id")}


@contextmanager
def flow_setup(workspace: str, config: Any, *, rollout: RolloutConfig, prompts: PromptsConfig,
               eval_prompts: PromptsConfig, refresh: bool, run_name: str | None = None) -> Iterator[FlowSetup]:
    """Everything in the `with` block runs inside the parent MLflow run (stages nest under it)."""
    ws = str(Path(workspace).expanduser().resolve())
    settings = StageSettings(workspace=Path(ws), refresh=refresh)
    with tracking.pipeline_run(ws, config, run_name=run_name) as parent, stage_settings(settings):
        settings.parent_run_id = parent.info.run_id
        reference = reference_model(ws, rollout)
        train_prompts = run_stage(prompts_task, ws, prompts, stage_name="prompts")
        test_prompts = run_stage(prompts_task, ws, eval_prompts, stage_name="eval-prompts")
        yield FlowSetup(ws, settings, parent, reference, train_prompts, test_prompts)
