"""How the flow runs a stage: a Prefect task cached on a content fingerprint, then an MLflow nested run.

Every stage task returns a `StageResult`: its output's fingerprint (what downstream cache keys
use), the params/metrics/files to log, and stage-specific fields. Logging happens here, outside
the cached task body, so a Cached stage still gets its nested MLflow run (tagged cached=true) and
each pipeline run's MLflow parent shows every stage.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift_core.fingerprint import digest


@dataclass
class StageResult:
    fingerprint: str  # content (or deterministic lineage) of what this stage produced
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # e.g. loss by step
    files: list[str] = field(default_factory=list)  # artifacts already written in the workspace
    tags: dict[str, str] = field(default_factory=dict)
    mlflow_run_id: str | None = None  # set when the task body opened its own nested run


@dataclass
class StageSettings:
    workspace: Path
    refresh: bool = False
    parent_run_id: str | None = None  # MLflow parent run of this pipeline run
    states: dict[str, str] = field(default_factory=dict)  # task name -> final state name


_settings: ContextVar[StageSettings | None] = ContextVar("drift_stage_settings", default=None)


def current() -> StageSettings:
    s = _settings.get()
    if s is None:
        raise RuntimeError("stages run inside flows.drift_pipeline (stage_settings not set)")
    return s


@contextmanager
def stage_settings(settings: StageSettings):
    token = _settings.set(settings)
    try:
        yield settings
    finally:
        _settings.reset(token)


def results_dir(workspace: Path) -> Path:
    """Where Prefect persists task results and cache records: inside the workspace."""
    return Path(workspace) / "prefect" / "results"


def cache_key(stage: str, key_fn: Callable[..., list]) -> Callable[[Any, dict[str, Any]], str]:
    """A Prefect cache_key_fn: the stage name plus a digest of what key_fn says the task reads."""

    def fn(context, parameters: dict[str, Any]) -> str:
        return f"{stage}-{digest(*key_fn(**parameters))}"

    fn.__name__ = f"{stage}_cache_key"
    return fn


def run_stage(task, *args, stage_name: str | None = None, **kwargs):
    """Run a cached stage task in the current pipeline run, log it to MLflow, return its result.

    `stage_name` names a second use of the same task (evaluate-reference, evaluate-candidate).
    """
    from tasks import tracking

    s = current()
    name = stage_name or task.name
    configured = task.with_options(
        name=name, result_storage=results_dir(s.workspace), refresh_cache=s.refresh
    )
    state = configured(*args, return_state=True, **kwargs)
    result = state.result()  # raises the task's exception when it failed
    s.states[name] = state.name
    tracking.log_stage(
        name, result, cached=state.name == "Cached", task_run_id=str(state.state_details.task_run_id),
        parent_run_id=s.parent_run_id,
    )
    return result
