"""The tiny world: a self-built reference policy and prompt splits in the workspace.

INTERIM (foundation issue): builds a random model and arithmetic splits so every stage runs;
the tiny-world issue replaces `build` with the trained, imperfect reference policy.
"""

from __future__ import annotations

import json
from pathlib import Path

from drift_core.prompts import arithmetic


def tiny_world_dir(workspace_root: str | Path) -> Path:
    return Path(workspace_root).expanduser().resolve() / "tiny_world"


def build(out: str | Path, seed: int = 0, size: str = "default") -> Path:
    from drift_core.testing.random_model import build_random_model

    out = Path(out)
    build_random_model(out, seed=seed)
    problems = arithmetic.generate(300, [1, 2, 3, 4], seed)
    splits = {"train": problems[:200], "test": problems[200:]}
    (out / "prompts").mkdir(parents=True, exist_ok=True)
    for name, rows in splits.items():
        with (out / "prompts" / f"{name}.jsonl").open("w") as f:
            for p in rows:
                rec = {k: p[k] for k in ("prompt_id", "question", "gold", "difficulty")}
                f.write(json.dumps(rec) + "\n")
    (out / "card.json").write_text(json.dumps({"interim": True, "seed": seed, "size": size}))
    return out


def ensure_tiny_world(workspace_root: str | Path) -> Path:
    """The workspace's tiny-world model directory, built on first use and reused after."""
    d = tiny_world_dir(workspace_root)
    if not (d / "card.json").exists():
        build(d)
    return d


def prompts_file(workspace_root: str | Path, split: str) -> Path:
    d = ensure_tiny_world(workspace_root)
    return d / "prompts" / f"{split}.jsonl"
