"""Multi-turn evaluation of one model on the eval set (cached on model content, eval set and config)."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

from prefect import task

from drift_core import evaluate as evaluate_lib
from drift_core import progress
from drift_core.config import EvalConfig, ProtocolConfig, RunnerConfig
from drift_core.engines import pool
from drift_core.fingerprint import code_fingerprint, digest
from drift_core.multiturn import TokenRate
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.prompts import PromptsResult
from tasks.shards import run_shards, shard_gpus
from tasks.stage import StageResult, input_fingerprint, refreshing, results_dir


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
                 baseline: EvalResult | None = None, **_) -> str:  # **_: workspace, runner (placement only)
    """Code, the model and the eval set (so a rollout-only protocol change keeps the evaluations): the
    cache key and the result's fingerprint alike."""
    fields = {"model": model, "eval_set": eval_set_fingerprint(prompts, protocol, cfg), "baseline": baseline}
    return input_fingerprint(CODE, fields)


def _key(context, parameters: dict) -> str:
    return f"evaluate-{_fingerprint(**parameters)}"


@task(name="evaluate", cache_key_fn=_key, persist_result=True)
def evaluate_task(workspace: str, model: ModelRef, prompts: PromptsResult, protocol: ProtocolConfig,
                  cfg: EvalConfig, baseline: EvalResult | None = None,
                  runner: RunnerConfig | None = None) -> EvalResult:
    """Evaluate `model` (one eval-shard task per shard on `runner`, default local); with a baseline, also
    draw accuracy by turn of both (reference vs candidate)."""
    from drift_core.plots import accuracy_by_turn

    ws = Workspace(workspace)
    res = sharded_eval(ws, model, prompts, protocol, cfg, runner)
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


def sharded_eval(ws: Workspace, model: ModelRef, prompts: PromptsResult, protocol: ProtocolConfig, cfg: EvalConfig,
                 runner: RunnerConfig | None) -> evaluate_lib.EvalResult:
    """Plan the evaluation, map one eval-shard task per shard on the runner, store every episode at once."""
    runner = runner or RunnerConfig()
    t0 = time.perf_counter()
    ps = prompts.prompt_set
    plan = evaluate_lib.plan_eval(ws, model.path, ps.rows, ps.protocol(protocol), cfg, dataset=ps.label)
    here = runner.kind == "local"
    bar = TokenRate(sum(len(s) for s in plan.shards), f"eval {plan.dataset}", enabled=progress.active())

    def done(r: dict) -> None:
        if not here:
            bar.add(r["trajectories"], r["tokens"])

    # Finished shards are Prefect results in the workspace: a killed evaluation reruns only the others.
    shard_task = eval_shard_task.with_options(refresh_cache=refreshing(), result_storage=results_dir(ws.root))
    params = [{"shard": plan.shard(k), "cfg": cfg, "model_fingerprint": model.fingerprint,
               "bar": bar if here else None} for k in range(len(plan.shards))]
    try:
        results = run_shards(shard_task, params, runner, on_done=done,
                             gpus=shard_gpus(runner, cfg.engine, cfg.tensor_parallel_size))
    finally:
        bar.close()
        if here:
            pool.release()
    episodes = [e for r in results for e in r["episodes"]]
    return evaluate_lib.finish_eval(ws, plan, cfg, episodes, time.perf_counter() - t0)


def _shard_key(context, parameters: dict) -> str:
    """A shard's episodes are reused when its code, model content, eval id, problems and settings match."""
    shard = parameters["shard"]
    return "eval-shard-" + digest(code_fingerprint("drift_core.evaluate"), parameters["model_fingerprint"],
                                  shard.eval_id, shard.k, [p.prompt_id for p in shard.problems], parameters["cfg"])


@task(name="eval-shard", cache_key_fn=_shard_key, persist_result=True)
def eval_shard_task(shard: evaluate_lib.EvalShard, cfg: EvalConfig, model_fingerprint: str,
                    bar: TokenRate | None = None) -> dict:
    """Shard k's episodes with this process's pooled engine; the evaluate task stores them with the others'."""
    t0 = time.perf_counter()
    engine, tokenizer = pool.shared_engine(cfg, shard.local)
    episodes = evaluate_lib.eval_shard(shard, cfg, engine, tokenizer, bar=bar)
    return {"shard": shard.k, "episodes": episodes, "trajectories": len(episodes),
            "tokens": sum(t.completion_tokens for e in episodes for t in e.turns),
            "seconds": time.perf_counter() - t0, "pid": os.getpid(), "engine_loads": pool.loads()}
