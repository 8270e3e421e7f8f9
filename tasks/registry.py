"""Register the trained model, tag it, alias it `challenger`, and move `champion` if the gate passes.

The gate itself is plain logic in drift_core.promotion; this task fetches the champion's
per-problem outcomes on the same eval set, applies the decision to the registry and logs it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from prefect import task

from drift_core.config import EvalConfig, ProtocolConfig
from drift_core.config.registry import RegistryConfig
from drift_core.promotion import Decision, decide
from drift_core.stages.model import ModelRef
from tasks.evaluate import EvalResult
from tasks.prompts import PromptsResult
from tasks.stage import StageResult, cache_key
from tasks.tracking import metric_name

CODE = ("tasks.registry", "tasks.chat_model")  # the gate (drift_core.promotion) is in the closure
CHAT_MODEL_CODE = Path(__file__).with_name("chat_model.py")
PIP_REQUIREMENTS = ["mlflow", "torch", "transformers", "tokenizers", "safetensors"]
CHAMPION, CHALLENGER = "champion", "challenger"


@dataclass
class RegistryResult(StageResult):
    name: str = ""
    version: str = ""
    promoted: bool = False
    decision: dict = field(default_factory=dict)
    vs_reference: dict = field(default_factory=dict)


# The tracking store is part of the key: pointing at another server registers there anew. The parent
# run only says where to nest the stage's run.
@task(name="register", cache_key_fn=cache_key("register", *CODE, ignore=("workspace", "parent_run_id"),
                                              extra=lambda: [mlflow.get_tracking_uri()]), persist_result=True)
def register_task(workspace: str, candidate: ModelRef, cand_eval: EvalResult, ref_eval: EvalResult,
                  eval_prompts: PromptsResult, protocol: ProtocolConfig, eval_cfg: EvalConfig,
                  data_fingerprint: str, cfg: RegistryConfig, parent_run_id: str | None = None) -> RegistryResult:
    client = MlflowClient()
    with mlflow.start_run(run_name="register", nested=True, parent_run_id=parent_run_id) as run:
        mlflow.log_dict(cand_eval.per_problem, "eval/per_problem.json")
        info = _log_model(candidate, cfg.model_name)
        version = str(info.registered_model_version)
        tags = {metric_name(k): str(v) for k, v in cand_eval.metrics.items() if k.startswith(("multi@", "turn_acc@"))}
        tags |= {"data_fingerprint": data_fingerprint, "model_fingerprint": candidate.fingerprint,
                 "eval_set": cand_eval.eval_set, "eval_id": cand_eval.eval_id, "run_id": run.info.run_id}
        for k, v in tags.items():
            client.set_model_version_tag(cfg.model_name, version, k, v)
        client.set_registered_model_alias(cfg.model_name, CHALLENGER, version)

        champion = _champion(client, cfg.model_name)
        champ_outcomes = None
        if champion is not None:
            champ_outcomes = _champion_outcomes(client, cfg.model_name, champion, cand_eval)
            if champ_outcomes is None:  # scored on another eval set: score it on this one
                champ_outcomes = _reevaluate(workspace, cfg.model_name, champion.version, eval_prompts,
                                             protocol, eval_cfg)
        decision = _decide(cand_eval.per_problem, champ_outcomes, cfg)
        # Informational: the same gate against the reference (never moves an alias).
        vs_ref = _decide(cand_eval.per_problem, ref_eval.per_problem, cfg) if (
            ref_eval.eval_set == cand_eval.eval_set) else None
        if decision.promote:
            client.set_registered_model_alias(cfg.model_name, CHAMPION, version)
        client.set_model_version_tag(cfg.model_name, version, "promotion", decision.reason)
        mlflow.log_dict({"decision": decision.as_dict(), "vs_reference": vs_ref.as_dict() if vs_ref else None,
                         "champion_version": champion.version if champion else None}, "promotion.json")
    metrics = {f"gate_{k}": float(v) for k, v in decision.as_dict().items()
               if isinstance(v, int | float) and not isinstance(v, bool) and v is not None}
    metrics["promoted"] = float(decision.promote)
    if vs_ref is not None:
        metrics |= {f"vs_reference_{k}": float(v) for k in ("delta", "p_value")
                    if (v := getattr(vs_ref, k)) is not None}
    return RegistryResult(
        fingerprint=candidate.fingerprint, params=cfg.model_dump(mode="json"), metrics=metrics,
        tags={"drift.registered_model": cfg.model_name, "drift.version": version,
              "drift.decision": decision.reason[:5000]},
        mlflow_run_id=run.info.run_id, name=cfg.model_name, version=version, promoted=decision.promote,
        decision=decision.as_dict(), vs_reference=vs_ref.as_dict() if vs_ref else {},
    )


def _log_model(candidate: ModelRef, name: str):
    """pyfunc with the HF directory as an artifact (mlflow.transformers needs pip_requirements and
    loads back as a pipeline; this loads back as a chat model that honours generation params)."""
    from mlflow.models import infer_signature

    signature = infer_signature(
        ["What is 2 + 3?"], ["<answer> 5 </answer>"],
        params={"max_new_tokens": 64, "temperature": 0.0, "system": "", "prefill": ""},
    )
    return mlflow.pyfunc.log_model(
        name="model", python_model=str(CHAT_MODEL_CODE), artifacts={"hf": candidate.path},
        pip_requirements=PIP_REQUIREMENTS, registered_model_name=name, signature=signature,
    )


def _champion(client: MlflowClient, name: str):
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None  # no champion yet


def _champion_outcomes(client: MlflowClient, name: str, champion, cand_eval: EvalResult) -> dict | None:
    """The champion's per-problem t_star as its registration logged it, if on the same eval set."""
    if champion.tags.get("eval_set") != cand_eval.eval_set or not champion.run_id:
        return None
    path = mlflow.artifacts.download_artifacts(run_id=champion.run_id, artifact_path="eval/per_problem.json")
    return json.loads(Path(path).read_text())


def _reevaluate(workspace: str, name: str, version: str, eval_prompts: PromptsResult, protocol: ProtocolConfig,
                eval_cfg: EvalConfig) -> dict[str, int | None]:
    """Evaluate the champion's registered weights on the candidate's eval set (the same stage, so the
    same protocol: a benchmark's own instruction included)."""
    from drift_core.stages.evaluate import evaluate_stage
    from drift_core.store import Workspace

    with tempfile.TemporaryDirectory() as tmp:
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}/{version}", dst_path=tmp)
        champion = ModelRef.of(str(hf_dir(Path(local))))
        res = evaluate_stage(Workspace(workspace), champion, eval_prompts.prompt_set, protocol, eval_cfg,
                             progress=False)
    return res.per_problem


def hf_dir(model_dir: Path) -> Path:
    """The Hugging Face directory inside a downloaded pyfunc model (its MLmodel says where)."""
    import yaml

    meta = yaml.safe_load((model_dir / "MLmodel").read_text())
    return model_dir / meta["flavors"]["python_function"]["artifacts"]["hf"]["path"]


def _decide(candidate: dict, champion: dict | None, cfg: RegistryConfig) -> Decision:
    gate = cfg.gate
    return decide(candidate, champion, metric=cfg.metric, gate=gate, confidence=cfg.confidence,
                  min_delta=cfg.min_delta, bootstrap_samples=cfg.bootstrap_samples, seed=cfg.seed)


def promote(name: str, version: str, reason: str = "promoted by hand") -> None:
    """`drift promote`: move `champion` to a version, recording why on the version."""
    client = MlflowClient()
    client.get_model_version(name, version)  # raises a clear MlflowException when absent
    client.set_registered_model_alias(name, CHAMPION, version)
    client.set_model_version_tag(name, version, "promotion", reason)
