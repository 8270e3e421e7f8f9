"""Register the trained model, tag its lineage, alias it `challenger`, and move `champion` if the gate passes.

The baseline a candidate must beat is the current champion; with no champion yet it is the reference
model it was trained from (compared directly on the same eval set: the reference is not registered).
A champion scored on another eval set is evaluated on this one first, as an explicit cached stage
(`evaluate-champion`, see `champion_to_score`). The gate itself is plain logic in drift_core.promotion.

Registration is all or nothing (docs/reliability.md): the version is created with all its tags at once
(`drift.registration=pending`, and `drift.registration_key`, the inputs' fingerprint), then the aliases are
set, then `drift.registration=complete` is written last. Before registering, a pending version whose
registering process is gone is finished (its aliases set from its own tags), and a complete version with
the same key is returned instead of registering the same inputs twice.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from prefect import task

from drift_core.config.registry import RegistryConfig
from drift_core.errors import DriftError
from drift_core.faults import fault_point
from drift_core.fingerprint import digest
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace
from drift_mlflow.registry import CHALLENGER, CHAMPION, promote  # noqa: F401 (promote: re-exported)
from drift_mlflow.registry import champion as _champion
from drift_mlflow.registry import gate as _decide
from drift_mlflow.registry import run_artifact as _run_artifact
from tasks.evaluate import EvalResult
from tasks.logs import run_logger
from tasks.stage import StageResult, cache_key
from tasks.tracking import metric_name, process_tags, run_orphaned, store_identity

# the gate (drift_mlflow.registry, drift_core.promotion) is in the closure
CODE = ("tasks.registry", "tasks.chat_model")
CHAT_MODEL_CODE = Path(__file__).with_name("chat_model.py")
PIP_REQUIREMENTS = ["mlflow", "torch", "transformers", "tokenizers", "safetensors"]
REGISTRATION, REGISTRATION_KEY, PROMOTE = "drift.registration", "drift.registration_key", "drift.promote"
PENDING, COMPLETE = "pending", "complete"


@dataclass
class RegistryResult(StageResult):
    name: str = ""
    version: str = ""
    promoted: bool = False
    decision: dict = field(default_factory=dict)
    vs_reference: dict = field(default_factory=dict)


# The tracking store is part of the key: pointing at another server registers there anew (the workspace's
# own store counts as one store wherever the workspace is, so a moved workspace stays Cached). The parent run
# only says where to nest the stage's run; the champion's evaluation is read when registering, but a
# champion that changed since must not register the same candidate twice (the cached decision is shown).
_KEY = cache_key("register", *CODE, ignore=("workspace", "parent_run_id", "champion_eval"),
                 extra=lambda p: [store_identity(p["workspace"])])


@task(name="register", cache_key_fn=_KEY, persist_result=True)
def register_task(workspace: str, candidate: ModelRef, cand_eval: EvalResult, ref_eval: EvalResult,
                  champion_eval: EvalResult | None, lineage: dict[str, str], cfg: RegistryConfig,
                  parent_run_id: str | None = None) -> RegistryResult:
    """`lineage`: data_fingerprint (the weighting) and rollout_run_id, tagged on the version."""
    from prefect.runtime import flow_run

    client = MlflowClient()
    key = digest(candidate.fingerprint, cand_eval.fingerprint, ref_eval.fingerprint, lineage, cfg)
    earlier = finish_interrupted(client, cfg.model_name, key)
    if earlier is not None:  # these very inputs were registered already (a kill before the cache was written)
        run_logger().info("%s v%s: registered already by an interrupted run; its decision stands",
                              cfg.model_name, earlier.version)
        return _result(candidate, cfg, str(earlier.version), *_stored_decision(earlier), run_id=None)
    with mlflow.start_run(run_name="register", nested=True, parent_run_id=parent_run_id, tags=process_tags()) as run:
        mlflow.log_dict(cand_eval.per_problem, "eval/per_problem.json")
        if ref_eval.eval_set == cand_eval.eval_set:  # what `drift promote` gates against with no champion
            mlflow.log_dict(ref_eval.per_problem, "eval/reference_per_problem.json")
        champion = _champion(client, cfg.model_name)
        baseline, outcomes = _baseline(client, champion, cand_eval, ref_eval, champion_eval)
        decision = _decide(cand_eval.per_problem, outcomes, cfg)
        decision.reason = f"against {baseline}: {decision.reason}"
        mlflow.log_dict({"decision": decision.as_dict(), "baseline": baseline,
                         "champion_version": champion.version if champion else None}, "promotion.json")
        tags = {metric_name(k): str(v) for k, v in cand_eval.metrics.items() if k.startswith(("multi@", "turn_acc@"))}
        tags |= {**lineage, "model_fingerprint": candidate.fingerprint, "eval_set": cand_eval.eval_set,
                 "eval_id": cand_eval.eval_id, "run_id": run.info.run_id, "flow_run_id": str(flow_run.id or ""),
                 "baseline": baseline, "promotion": decision.reason[:5000]}
        figures = ("delta", "p_value", "candidate_value", "champion_value", "ci_low", "ci_high")
        tags |= {f"gate_{k}": str(v) for k, v in decision.as_dict().items() if k in figures and v is not None}
        tags |= {REGISTRATION: PENDING, REGISTRATION_KEY: key, PROMOTE: str(decision.promote).lower()}
        info = _log_model(candidate.local(Workspace(workspace)))
        fault_point("register.after_log_model")  # artifacts logged, no version yet
        # one write creates the version with every tag (mlflow's SQL store: one transaction)
        version = str(mlflow.register_model(info.model_uri, cfg.model_name, tags=tags).version)
        fault_point("register.after_create_version")  # the version exists, pending: no aliases yet
        _complete(client, cfg.model_name, version, decision.promote)
    stays = f"champion stays v{champion.version}" if champion else "no champion yet"
    verdict = "champion" if decision.promote else f"challenger ({stays})"
    run_logger().info("%s v%s registered as %s: %s", cfg.model_name, version, verdict, decision.reason)
    return _result(candidate, cfg, version, decision.as_dict(), decision.promote, run_id=run.info.run_id)


def _result(candidate: ModelRef, cfg: RegistryConfig, version: str, decision: dict, promoted: bool,
            run_id: str | None) -> RegistryResult:
    metrics = {f"gate_{k}": float(v) for k, v in decision.items()
               if isinstance(v, int | float) and not isinstance(v, bool) and v is not None}
    metrics["promoted"] = float(promoted)
    return RegistryResult(
        fingerprint=candidate.fingerprint, params=cfg.model_dump(mode="json"), metrics=metrics,
        tags={"drift.registered_model": cfg.model_name, "drift.version": version,
              "drift.decision": decision.get("reason", "")[:5000]},
        mlflow_run_id=run_id, name=cfg.model_name, version=version, promoted=promoted, decision=decision,
    )


def _complete(client: MlflowClient, name: str, version: str, to_champion: bool) -> None:
    """The rest of a registration once its version exists: aliases, then the completion tag (last)."""
    client.set_registered_model_alias(name, CHALLENGER, version)
    if to_champion:
        client.set_registered_model_alias(name, CHAMPION, version)
    fault_point("register.before_complete")  # aliases set, not yet marked complete
    client.set_model_version_tag(name, version, REGISTRATION, COMPLETE)


def finish_interrupted(client: MlflowClient, name: str, key: str | None = None):
    """Finish every pending registration of `name` whose registering process is gone (its run is no longer
    RUNNING, or it is but its process is gone: tasks.tracking.run_orphaned), oldest first, from the tags it
    was created with; returns the complete version registered under `key`, if there is one.

    Versions without the drift.registration tag (by hand, or by an older drift) are left alone; a pending one
    whose process still runs is another registration in progress, and left to it."""
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None  # no such registered model yet
    found = None
    for mv in sorted(versions, key=lambda v: int(v.version)):
        state = mv.tags.get(REGISTRATION)
        if state == PENDING and _abandoned(client, mv):
            _complete(client, name, str(mv.version), mv.tags.get(PROMOTE) == "true")
            state = COMPLETE
        if state == COMPLETE and key is not None and mv.tags.get(REGISTRATION_KEY) == key:
            found = mv
    return found


def _abandoned(client: MlflowClient, mv) -> bool:
    if not mv.run_id:
        return True
    try:
        run = client.get_run(mv.run_id)
    except MlflowException:
        return True
    return run.info.status != "RUNNING" or run_orphaned(client, run)


def _stored_decision(mv) -> tuple[dict, bool]:
    """(the gate's decision, promoted) of a registered version: from its run's promotion.json."""
    promoted = mv.tags.get(PROMOTE) == "true"
    stored = _run_artifact(mv.run_id, "promotion.json")
    decision = stored["decision"] if stored else {"reason": mv.tags.get("promotion", ""), "promote": promoted}
    return decision, promoted


def _baseline(client, champion, cand_eval: EvalResult, ref_eval: EvalResult,
              champion_eval: EvalResult | None) -> tuple[str, dict | None]:
    """(what the candidate is compared with, its per-problem outcomes on the candidate's eval set)."""
    if champion is None:
        if ref_eval.eval_set != cand_eval.eval_set:
            return "no baseline (no champion, reference scored on another eval set)", None
        return "the reference (no champion yet)", ref_eval.per_problem
    name = f"champion v{champion.version}"
    if champion.tags.get("eval_set") == cand_eval.eval_set and champion.run_id:
        stored = _run_artifact(champion.run_id, "eval/per_problem.json")
        if stored is not None:
            return name, stored
    if champion_eval is not None and champion_eval.eval_set == cand_eval.eval_set:
        return name, champion_eval.per_problem
    raise DriftError(f"{name} was scored on another eval set and has no evaluation on this one "
                     "(the evaluate-champion stage provides it)")


def champion_to_score(workspace: str, cfg: RegistryConfig, eval_set: str) -> ModelRef | None:
    """The champion's weights (downloaded into <workspace>/models/registry once) when it was scored on
    another eval set than `eval_set`, so the flow can evaluate it as a cached stage; else None."""
    champion = _champion(MlflowClient(), cfg.model_name)
    if champion is None or champion.tags.get("eval_set") == eval_set:
        return None
    local = Path(workspace) / "models" / "registry" / f"{cfg.model_name}-v{champion.version}"
    if not (local / "MLmodel").is_file():
        mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{cfg.model_name}/{champion.version}",
                                            dst_path=str(local))
    return ModelRef.of(str(hf_dir(local)), Workspace(workspace))


def registration_summary(reg: RegistryResult, cached: bool) -> dict:
    """What `drift run` reports: the version, whether it is the champion now, and why. A cached
    registration reports the decision it stored and where the alias stands today."""
    now = champion_version(reg.name)
    decision = reg.decision["reason"]
    if cached:
        decision = f"registered earlier (cached), champion now v{now or '-'}; its decision then: {decision}"
    return {"model": reg.name, "version": reg.version, "promoted": now == reg.version, "decision": decision}


def champion_version(name: str) -> str | None:
    """The version the `champion` alias points at now (None: none yet)."""
    champion = _champion(MlflowClient(), name)
    return str(champion.version) if champion else None  # mlflow gives an int



def _log_model(model_dir: str):
    """pyfunc with the HF directory as an artifact (mlflow.transformers needs pip_requirements and
    loads back as a pipeline; this loads back as a chat model that honours generation params). Logged
    only: register_task creates the version, with its tags, in one write."""
    from mlflow.models import infer_signature

    signature = infer_signature(
        ["What is 2 + 3?"], ["<answer> 5 </answer>"],
        params={"max_new_tokens": 64, "temperature": 0.0, "system": "", "prefill": ""},
    )
    # mlflow advises an input example when a signature is given without one; with one, log_model would load
    # the model and generate to check it (pyfunc.log_model cannot turn that off). This warning, this call only.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r".*An input example was not provided", UserWarning)
        return mlflow.pyfunc.log_model(
            name="model", python_model=str(CHAT_MODEL_CODE), artifacts={"hf": model_dir},
            pip_requirements=PIP_REQUIREMENTS, signature=signature,
        )



def hf_dir(model_dir: Path) -> Path:
    """The Hugging Face directory inside a downloaded pyfunc model (its MLmodel says where)."""
    import yaml

    meta = yaml.safe_load((model_dir / "MLmodel").read_text())
    return model_dir / meta["flavors"]["python_function"]["artifacts"]["hf"]["path"]
