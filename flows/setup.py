"""What every flow does first: resolve the workspace, open the parent MLflow run with the stage
settings, then the reference model and the train / test prompts (all cached stages)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_core.config import PipelineConfig
from drift_core.stages.model import ModelRef, reference_model
from drift_core.store import Workspace
from tasks import tracking
from tasks.logs import run_logger
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
def flow_setup(cfg: PipelineConfig, *, refresh: bool, run_name: str | None = None,
               sections: dict[str, Any] | None = None) -> Iterator[FlowSetup]:
    """Everything in the `with` block runs inside the parent MLflow run (stages nest under it).

    `sections`: a flow's own config sections (compare, sweep), logged with the pipeline config."""
    ws = str(Path(cfg.workspace).expanduser().resolve())
    settings = StageSettings(workspace=Path(ws), refresh=refresh)
    logged = cfg.model_copy(update={"workspace": ws}).model_dump(mode="json") | tracking.plain(sections or {})
    log = run_logger()
    with tracking.pipeline_run(ws, logged, run_name=run_name) as parent, stage_settings(settings):
        settings.parent_run_id = parent.info.run_id
        log.info("workspace %s, MLflow run %s%s", ws, parent.info.run_id, " (refresh: every stage recomputes)"
                 if refresh else "")
        # The tiny world is built here on first use; the workspace records its tables_uri here, before any task.
        reference = reference_model(Workspace(ws, cfg.tables_uri), cfg.rollout)
        log.info("reference model %s (content %s)", reference.path, reference.fingerprint[:12])
        train_prompts = run_stage(prompts_task, ws, cfg.prompts, stage_name="prompts")
        test_prompts = run_stage(prompts_task, ws, cfg.eval_prompts, stage_name="eval-prompts")
        yield FlowSetup(ws, settings, parent, reference, train_prompts, test_prompts)
