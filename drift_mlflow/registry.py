"""The registry without Prefect: the `champion` alias, a version's stored evaluation, the gate, and
`promote` (what `drift promote` runs). tasks/registry.py registers versions and uses these."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from drift_core.config.registry import RegistryConfig
from drift_core.errors import DriftError
from drift_core.promotion import Decision, decide

CHAMPION, CHALLENGER = "champion", "challenger"


def champion(client: MlflowClient, name: str):
    """The model version the `champion` alias points at (None: none yet)."""
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None  # no champion yet


def run_artifact(run_id: str | None, path: str) -> dict | None:
    """A JSON artifact of a run (None when there is no run or no such artifact)."""
    if not run_id:
        return None
    try:
        return json.loads(Path(mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path)).read_text())
    except (MlflowException, OSError):
        return None


def gate(candidate: dict, baseline: dict | None, cfg: RegistryConfig) -> Decision:
    """The gate against the baseline's outcomes. Without any baseline nothing is promoted (except by the
    gate 'always'): a candidate must beat something measured on its own eval set."""
    if baseline is None and cfg.gate != "always":
        return Decision(False, "nothing to compare with on this eval set: stays challenger", cfg.metric, cfg.gate,
                        n_problems=len(candidate))
    return decide(candidate, baseline, metric=cfg.metric, gate=cfg.gate, confidence=cfg.confidence,
                  min_delta=cfg.min_delta, bootstrap_samples=cfg.bootstrap_samples, seed=cfg.seed)


def promote(name: str, version: str, reason: str = "promoted by hand", *, force: bool = False,
            cfg: RegistryConfig | None = None) -> Decision | None:
    """`drift promote`: move `champion` to a version if it passes the gate against the current champion
    (or, with none, the reference it was trained from), on the same eval set. `force` moves it anyway
    and records the reason with the failed gate. Returns the gate's decision (None when not computable)."""
    cfg = cfg or RegistryConfig(model_name=name)
    client = MlflowClient()
    mv = client.get_model_version(name, version)  # raises a clear MlflowException when absent
    current = champion(client, name)
    if current is not None and current.version == str(version):
        return None
    outcomes = run_artifact(mv.run_id, "eval/per_problem.json")
    if current is None:
        baseline, base = "the reference", run_artifact(mv.run_id, "eval/reference_per_problem.json")
    else:
        baseline = f"champion v{current.version}"
        same = current.tags.get("eval_set") == mv.tags.get("eval_set")
        base = run_artifact(current.run_id, "eval/per_problem.json") if same else None
    decision = gate(outcomes, base, cfg) if outcomes is not None and base is not None else None
    verdict = f"against {baseline}: " + (decision.reason if decision else "not scored on the same eval set")
    if decision is None or not decision.promote:
        if not force:
            raise DriftError(f"{name} v{version} does not pass the gate {verdict}; pass --force with a --reason "
                             "to promote it anyway")
        reason = f"{reason} (forced; gate {verdict})"
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "promotion", reason)
    return decision
