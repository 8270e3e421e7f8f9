"""How the flow runs a stage: a Prefect task cached on a content fingerprint, then an MLflow nested run.

Every stage task returns a `StageResult`: its output's fingerprint (what downstream cache keys
use), the params/metrics/files to log, and stage-specific fields. Logging happens here, outside
the cached task body, so a Cached stage still gets its nested MLflow run (tagged cached=true) and
each pipeline run's MLflow parent shows every stage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drift_core import progress
from drift_core.fingerprint import code_fingerprint, digest
from drift_core.stages.model import ModelRef


@dataclass
class StageResult:
    fingerprint: str  # content (or deterministic lineage) of what this stage produced
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # e.g. loss by step
    files: list[str] = field(default_factory=list)  # artifacts in the workspace, as Workspace.portable stores them
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


def refreshing() -> bool:
    """Whether this pipeline run recomputes every stage (--refresh); False outside a pipeline run."""
    s = _settings.get()
    return bool(s and s.refresh)


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


def input_fingerprint(code: tuple[str, ...], parameters: dict[str, Any],
                      ignore: tuple[str, ...] = ("workspace",)) -> str:
    """What a stage task reads, by content: its code's fingerprint (import closure + SQL it names) and
    every parameter but those in `ignore`. Stage results and models enter by their fingerprint, configs
    by their content dump (speed-only fields left out), plain values as they are."""
    return digest(code_fingerprint(*code), *(_content(parameters[k]) for k in sorted(parameters) if k not in ignore))


def _content(value: Any) -> Any:
    if isinstance(value, StageResult | ModelRef):
        return value.fingerprint
    return value  # configs: digest() takes their content_dump


def cache_key(stage: str, *code: str, ignore: tuple[str, ...] = ("workspace",),
              extra: Callable[[dict[str, Any]], list] | None = None) -> Callable[[Any, dict[str, Any]], str]:
    """A Prefect cache_key_fn: the stage name plus the input fingerprint of the call's parameters.

    `code`: the modules (and SQL) the task runs, e.g. 'drift_core.stages.train'; `extra`: values read
    from outside the parameters (the registry's tracking store), given the parameters."""

    def fn(context, parameters: dict[str, Any]) -> str:
        key = input_fingerprint(code, parameters, ignore)
        return f"{stage}-{digest(key, *extra(parameters)) if extra else key}"

    fn.__name__ = f"{stage}_cache_key"
    return fn


def run_stage(task, *args, stage_name: str | None = None, **kwargs):
    """Run a cached stage task in the current pipeline run, log it to MLflow, return its result.

    `stage_name` names a second use of the same task (evaluate-reference, evaluate-candidate).
    """
    from tasks import tracking
    from tasks.logs import run_logger

    s = current()
    name = stage_name or task.name
    configured = task.with_options(
        name=name, result_storage=results_dir(s.workspace), refresh_cache=s.refresh
    )
    progress.stage(name, "Running")  # the terminal view of `drift run`, when it shows one
    started = time.time()
    state = configured(*args, return_state=True, **kwargs)
    progress.stage(name, state.name)
    # The flow's own line per stage: a Cached task runs no body, so this is all its log says.
    run_logger().info("%s: %s in %.1f s", name, state.name, time.time() - started)
    result = state.result()  # raises the task's exception when it failed
    s.states[name] = state.name
    tracking.log_stage(
        name, result, cached=state.name == "Cached", task_run_id=str(state.state_details.task_run_id),
        parent_run_id=s.parent_run_id, span=(started, time.time()), workspace=s.workspace,
    )
    return result
