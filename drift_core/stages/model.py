"""Which model a stage starts from: the configured reference, a run's policy, or the tiny world."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drift_core.config.rollout import RolloutConfig
from drift_core.errors import DriftError
from drift_core.fingerprint import model_fingerprint
from drift_core.sqlfiles import run_sql
from drift_core.store import Workspace
from drift_core.worlds import is_world_source


@dataclass(frozen=True)
class ModelRef:
    path: str  # as stored (Workspace.portable): workspace-relative inside it, else absolute, or a hub id
    fingerprint: str  # content of the directory (hub ids: the name); what cache keys use

    @classmethod
    def of(cls, path: str, ws: Workspace) -> ModelRef:
        stored = ws.portable(path)
        return cls(path=stored, fingerprint=model_fingerprint(ws.resolve(stored)))

    def local(self, ws: Workspace) -> str:
        """Where the model is in `ws` (a cached result from a moved workspace resolves to the new place)."""
        return ws.resolve(self.path)


def reference_model(ws: Workspace, cfg: RolloutConfig, model: str | None = None) -> ModelRef:
    """`model` if given, else the configured reference, else the workspace's tiny world (built on first use;
    a world's source name means that world: 'tiny-world-choice' the choice one, 'tiny-world' the arithmetic one).

    Not a cached stage on purpose: a key that depended on the directory it creates would miss the
    cache on the run after the one that built it.
    """
    path = model or cfg.model
    if not path or (is_world_source(path) and not (ws.root / path).exists()):
        from drift_core.tiny_world import ensure_tiny_world, task_of

        path = str(ensure_tiny_world(ws.root, task=task_of(path or None)))
    from drift_core.chat import check_model_dir

    check_model_dir(ws.resolve(ws.portable(path)))  # a missing dir or pickle-only weights fail before any write
    return ModelRef.of(path, ws)


def base_model(ws: Workspace, run_id: str | None, cfg: RolloutConfig, model: str | None = None) -> ModelRef:
    """The model to fine-tune: `model` if given, else the policy that generated the run, else the reference."""
    if model is None and run_id is not None:
        con = ws.connect(read_only=True)
        try:
            hit = run_sql(con, "lookups/run_policy", {"run_id": run_id}).fetchone()
        finally:
            con.close()
        model = hit[0] if hit else None
        if model is not None and not _loadable_policy(ws, model, cfg):
            raise DriftError(f"run {run_id} was sampled by {model!r} (not a model directory); "
                             "pass --model DIR (the model to fine-tune)")
    return reference_model(ws, cfg, model)


def _loadable_policy(ws: Workspace, policy: str, cfg: RolloutConfig) -> bool:
    """Whether a run's recorded policy names a model: a model directory, the tiny world, the configured
    reference, or a hub id ('owner/name'). A gold-answer run ('gold') or an imported JSONL run
    ('imported:<file>') records a label instead."""
    if policy == cfg.model or is_world_source(policy) or Path(ws.resolve(policy)).is_dir():
        return True
    if "/" not in policy or Path(policy).expanduser().is_absolute() or policy.startswith("."):
        return False  # a label, or a model directory that is gone
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(policy)
    except HFValidationError:
        return False
    return True
