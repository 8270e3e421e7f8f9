"""The reference model: a lookup, not a cached task (its content fingerprint is what stages key on)."""

from __future__ import annotations

from dataclasses import dataclass

from drift_core.config import RolloutConfig
from drift_core.fingerprint import model_fingerprint
from drift_core.store import Workspace


@dataclass(frozen=True)
class ModelRef:
    path: str  # local directory or hub id
    fingerprint: str


def reference_model(workspace: str, cfg: RolloutConfig) -> ModelRef:
    """The configured reference, or the workspace's tiny world (built on first use, reused after).

    Not a Prefect task on purpose: a task whose key depended on the directory it creates would
    miss the cache on the run after the one that built it.
    """
    if cfg.model:
        path = cfg.model
    else:
        from drift_core.tiny_world import ensure_tiny_world

        path = str(ensure_tiny_world(Workspace(workspace).root))
    return ModelRef(path=path, fingerprint=model_fingerprint(path))
