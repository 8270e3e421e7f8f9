"""Prompts stage: load a prompt source into the prompts table and return it as a PromptSet."""

from __future__ import annotations

from pathlib import Path

from drift_core.config.prompts import PromptsConfig
from drift_core.fingerprint import file_fingerprint
from drift_core.prompts import PromptSet, load_prompt_set
from drift_core.store import Workspace
from drift_core.worlds import is_world_source


def prompts_stage(ws: Workspace, cfg: PromptsConfig) -> PromptSet:
    """Rows of the source (errors name the file and row), upserted into `prompts`."""
    prompt_set = load_prompt_set(cfg, ws.root)
    con = ws.connect()
    try:
        ws.upsert_prompts(con, prompt_set.rows)
    finally:
        con.close()
    return prompt_set


def source_fingerprint(ws: Workspace, cfg: PromptsConfig) -> str | None:
    """Content of the file the prompts come from; None for generated or hub sources (settings decide)."""
    if cfg.source in ("file", "benchmark") and cfg.path and Path(cfg.path).is_file():
        return file_fingerprint(cfg.path)
    if is_world_source(cfg.source):
        from drift_core.tiny_world import task_of, tiny_world_dir

        f = tiny_world_dir(ws.root, task_of(cfg.source)) / "prompts" / f"{cfg.split}.jsonl"
        return file_fingerprint(f) if f.is_file() else None
    return None
