"""Load prompts into the workspace's prompts table (cached on the source's content and settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from prefect import task

from drift_core.config import PromptsConfig
from drift_core.fingerprint import code_fingerprint, file_fingerprint, rows_fingerprint
from drift_core.prompts import load_prompts
from drift_core.store import Workspace
from tasks.stage import StageResult, cache_key

CODE = ("drift_core.prompts", "drift_core.tiny_world")


@dataclass
class PromptsResult(StageResult):
    rows: list[dict] = field(default_factory=list)


def source_fingerprint(workspace: str, cfg: PromptsConfig) -> str | None:
    """Content of the file the prompts come from; None for generated or hub sources (settings decide)."""
    if cfg.source == "file" and cfg.path and Path(cfg.path).is_file():
        return file_fingerprint(cfg.path)
    if cfg.source == "tiny-world":
        from drift_core.tiny_world import tiny_world_dir

        f = tiny_world_dir(workspace) / "prompts" / f"{cfg.split}.jsonl"
        return file_fingerprint(f) if f.is_file() else None
    return None


def _key(workspace: str, cfg: PromptsConfig) -> list:
    return [code_fingerprint(*CODE), cfg, source_fingerprint(workspace, cfg)]


@task(name="prompts", cache_key_fn=cache_key("prompts", _key), persist_result=True)
def prompts_task(workspace: str, cfg: PromptsConfig) -> PromptsResult:
    ws = Workspace(workspace)
    rows = load_prompts(cfg, ws.root)
    con = ws.connect()
    try:
        ws.upsert_prompts(con, rows)
    finally:
        con.close()
    return PromptsResult(
        fingerprint=rows_fingerprint(rows), params=cfg.model_dump(mode="json"),
        metrics={"prompts": len(rows)}, tags={"drift.split": cfg.split}, rows=rows,
    )
