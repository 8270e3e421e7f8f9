"""Load prompts into the workspace's prompts table (cached on the source's content and settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect import task

from drift_core.config import PromptsConfig
from drift_core.fingerprint import digest
from drift_core.prompts import PromptSet
from drift_core.stages.prompts import prompts_stage, source_fingerprint
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.stage import StageResult, cache_key


@dataclass
class PromptsResult(StageResult):
    rows: list[dict] = field(default_factory=list)
    label: str = "prompts"
    instruction: str | None = None  # a named benchmark's own instruction (PromptSet.protocol applies it)

    @property
    def prompt_set(self) -> PromptSet:
        return PromptSet(rows=self.rows, label=self.label, instruction=self.instruction)


def _source(context, parameters: dict) -> str:
    """The prompts' cache key: settings, code, and the content of the file they come from."""
    key = cache_key("prompts", "drift_core.stages.prompts")(context, parameters)
    return f"{key}-{source_fingerprint(Workspace(parameters['workspace']), parameters['cfg'])}"


@task(name="prompts", cache_key_fn=_source, persist_result=True)
def prompts_task(workspace: str, cfg: PromptsConfig) -> PromptsResult:
    ps = prompts_stage(Workspace(workspace), cfg)
    run_logger().info("%d prompts of %s (source %s, split %s)", len(ps.rows), ps.label, cfg.source, cfg.split)
    return PromptsResult(
        fingerprint=digest(ps.rows, ps.instruction), params=cfg.model_dump(mode="json"),
        metrics={"prompts": len(ps.rows)}, tags={"drift.split": cfg.split, "drift.dataset": ps.label},
        rows=ps.rows, label=ps.label, instruction=ps.instruction,
    )
