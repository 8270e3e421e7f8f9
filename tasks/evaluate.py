"""Multi-turn evaluation of one model on the eval set (cached on model content, eval set and config)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from prefect import task

from drift_core import progress
from drift_core.config import EvalConfig, ProtocolConfig
from drift_core.fingerprint import digest
from drift_core.stages.evaluate import evaluate_stage
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.prompts import PromptsResult
from tasks.stage import StageResult, input_fingerprint


@dataclass
class EvalResult(StageResult):
    eval_id: str = ""
    model: ModelRef | None = None
    eval_set: str = ""  # fingerprint of (problems, protocol, eval settings): same value = comparable
    per_problem: dict[str, int | None] = field(default_factory=dict)  # prompt_id -> t_star
    max_turns: int = 5


def eval_set_fingerprint(prompts: PromptsResult, protocol: ProtocolConfig, cfg: EvalConfig) -> str:
    """What makes two evaluations comparable: the problems, the protocol as evaluation runs it (its own
    prompt mode: a rollout-only protocol change keeps the eval set) and the eval settings."""
    return digest(prompts.fingerprint, protocol.for_eval(cfg.prompt_mode), cfg)


def multi_curve(metrics: dict, max_turns: int) -> list[float]:
    return [metrics.get(f"multi@{k}") or 0.0 for k in range(1, max_turns + 1)]


CODE = ("drift_core.stages.evaluate", "drift_core.plots")


def _fingerprint(model: ModelRef, prompts: PromptsResult, protocol: ProtocolConfig, cfg: EvalConfig,
                 baseline: EvalResult | None = None, **_) -> str:
    """Code, the model and the eval set (so a rollout-only protocol change keeps the evaluations): the
    cache key and the result's fingerprint alike."""
    fields = {"model": model, "eval_set": eval_set_fingerprint(prompts, protocol, cfg), "baseline": baseline}
    return input_fingerprint(CODE, fields)


def _key(context, parameters: dict) -> str:
    return f"evaluate-{_fingerprint(**parameters)}"


@task(name="evaluate", cache_key_fn=_key, persist_result=True)
def evaluate_task(workspace: str, model: ModelRef, prompts: PromptsResult, protocol: ProtocolConfig,
                  cfg: EvalConfig, baseline: EvalResult | None = None) -> EvalResult:
    """Evaluate `model`; with a baseline, also draw accuracy by turn of both (reference vs candidate)."""
    from drift_core.plots import accuracy_by_turn

    ws = Workspace(workspace)
    res = evaluate_stage(ws, model, prompts.prompt_set, protocol, cfg, progress=progress.active())
    fp = _fingerprint(model, prompts, protocol, cfg, baseline)
    out = ws.root / "artifacts" / "eval" / fp
    out.mkdir(parents=True, exist_ok=True)
    (out / "per_problem.json").write_text(json.dumps(res.per_problem, indent=0, sort_keys=True))
    files = [ws.portable(out / "per_problem.json")]  # workspace-relative: a moved workspace still logs them
    if baseline is not None:
        files.append(ws.portable(accuracy_by_turn(
            {"reference": multi_curve(baseline.metrics, protocol.max_turns),
             "candidate": multi_curve(res.metrics, protocol.max_turns)},
            out / "accuracy_by_turn.png", title=f"multi@k on {res.dataset} ({res.num_problems} problems)",
        )))
    metrics = {k: v for k, v in res.metrics.items() if v is not None}
    metrics |= {"num_problems": res.num_problems, "generated_tokens": res.tokens, "seconds": res.seconds}
    multi = " · ".join(f"{k} {metrics[k]:.3f}" for k in (f"multi@{t}" for t in range(1, protocol.max_turns + 1))
                       if k in metrics)
    run_logger().info(
        "%s on %s (%d problems): %s, mean turns %.2f; %d tokens in %.1f s (%.0f tok/s); eval %s", model.path,
        res.dataset, res.num_problems, multi or "-", metrics.get("mean_turns", float("nan")), res.tokens,
        res.seconds, res.tokens / max(res.seconds, 1e-9), res.eval_id,
    )
    return EvalResult(
        fingerprint=fp, params=cfg.model_dump(mode="json"), metrics=metrics, files=files,
        tags={"drift.eval_id": res.eval_id, "drift.model": model.path, "drift.dataset": res.dataset},
        eval_id=res.eval_id, model=model, eval_set=eval_set_fingerprint(prompts, protocol, cfg),
        per_problem=res.per_problem, max_turns=protocol.max_turns,
    )
