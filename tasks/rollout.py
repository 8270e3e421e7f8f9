"""Sample trajectories from the reference (cached on prompts, model content, protocol and settings)."""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import dataclass

from prefect import task
from prefect.cache_policies import NO_CACHE

from drift_core import progress
from drift_core import rollout as rollout_lib
from drift_core.config import ProtocolConfig, RolloutConfig, RunnerConfig
from drift_core.engines import pool
from drift_core.memory import peak_rss
from drift_core.multiturn import TokenRate
from drift_core.stages.model import ModelRef
from drift_core.stages.rollout import RolloutOutput, gold_stage, rollout_output
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.prompts import PromptsResult
from tasks.shards import run_shards, shard_gpus
from tasks.stage import StageResult, cache_key


@dataclass
class RolloutResult(StageResult):
    run_id: str = ""


CODE = ("drift_core.stages.rollout",)


# The runner places shards; it never changes what they hold, so it is not part of the key.
@task(name="rollout", cache_key_fn=cache_key("rollout", *CODE, ignore=("workspace", "runner")), persist_result=True)
def rollout_task(workspace: str, prompts: PromptsResult, model: ModelRef, protocol: ProtocolConfig,
                 cfg: RolloutConfig, runner: RunnerConfig | None = None, round: int = 1) -> RolloutResult:
    """Sample the run's missing shards, one rollout-shard task each on `runner` (default: local).

    `round` >= 2: a round of iterative DRIFT (`model` = the previous round's); it is part of the cache key
    as every parameter but the workspace and the runner is, and names the run (drift_core.rollout.round_run_id)
    whichever runner samples its shards."""
    ws = Workspace(workspace)
    with peak_rss() as peak:
        res = sharded_rollout(ws, prompts, model, protocol, cfg, runner, round=round)
        out = rollout_output(ws, res, protocol)
    r = out.run
    # Peak RSS (drift_core/compare/cost.py): this process's, and with shards in other processes (Ray workers)
    # the highest of any one worker's too; the cost takes the highest single process. Workers running side
    # by side are not summed: the cluster's total is not counted.
    workers = [s["peak_rss_bytes"] for s in r.shard_reports if s.get("peak_rss_bytes")]
    peaks = {"peak_rss_bytes": max([peak.bytes, *workers]), "driver_peak_rss_bytes": peak.bytes}
    if workers:
        peaks["worker_peak_rss_bytes"] = max(workers)
        run_logger().info("run %s: peak RSS %.2f GiB here, %.2f GiB in the busiest of %d worker processes (per "
                          "process: workers side by side are not summed)", r.run_id, peak.bytes / 2**30,
                          max(workers) / 2**30, len({s["pid"] for s in r.shard_reports}))
    metrics = {"trajectories": r.trajectories, "generated_tokens": r.tokens,
               "shards_written": r.shards_written, "seconds": r.seconds, "round": round, **peaks}
    metrics |= {f"ref_{k.replace('@', '_at_')}": v for k, v in out.sampled_multi.items()}
    # Tokens and seconds are this attempt's: shards an earlier (killed) attempt wrote are only read back.
    run_logger().info(
        "run %s of %s: %d trajectories from %d prompts (n=%d), %d of %d shards written (%d already on disk), "
        "%d tokens in %.1f s (%.0f tok/s); sampled %s", r.run_id, model.path, r.trajectories, len(prompts.rows),
        cfg.n, r.shards_written, r.shards_written + r.shards_skipped, r.shards_skipped, r.tokens, r.seconds,
        r.tokens / max(r.seconds, 1e-9), " · ".join(f"{k} {v:.3f}" for k, v in out.sampled_multi.items()) or "-",
    )
    return _result(out, cfg.model_dump(mode="json"), {"drift.model": model.path}, metrics)


@task(name="gold-sft-data", cache_key_fn=cache_key("gold-sft-data", *CODE), persist_result=True)
def gold_sft_task(workspace: str, prompts: PromptsResult, protocol: ProtocolConfig) -> RolloutResult:
    """The gold-SFT arm's data as a RolloutResult, so the weights (scheme uniform) and train tasks take it."""
    out = gold_stage(Workspace(workspace), prompts.prompt_set, protocol)
    run_logger().info("run %s: %d one-turn trajectories answering with the gold answer", out.run.run_id,
                          out.run.trajectories)
    return _result(out, {"source": "gold answers", "prompts": out.run.trajectories}, {},
                   {"trajectories": out.run.trajectories, "generated_tokens": 0})


def sharded_rollout(ws: Workspace, prompts: PromptsResult, model: ModelRef, protocol: ProtocolConfig,
                    cfg: RolloutConfig, runner: RunnerConfig | None, *, round: int = 1) -> rollout_lib.RolloutResult:
    """Plan the run (round `round`: its run id, drift_core.rollout.round_run_id), map one rollout-shard task
    per missing shard on the runner, count the whole run. Every shard carries the plan's run id and model."""
    runner = runner or RunnerConfig()
    t0 = time.perf_counter()
    protocol = prompts.prompt_set.protocol(protocol)
    plan = rollout_lib.plan_rollout(ws, prompts.rows, protocol, cfg, model.path, round=round)
    bar = TokenRate(sum(len(plan.shards[k]) for k in plan.todo) * cfg.n, f"rollout {plan.run_id}",
                    enabled=progress.active())
    here = runner.kind == "local"  # shards in this process draw on the bar themselves
    log = run_logger()

    def done(r: dict) -> None:
        if not here:
            bar.add(r["trajectories"], r["tokens"])
        log.info("rollout %s shard %d/%d: %d trajectories, %d tokens in %.1f s (pid %d, engines built there: %d)",
                 plan.run_id, r["shard"] + 1, len(plan.shards), r["trajectories"], r["tokens"], r["seconds"],
                 r["pid"], r["engine_loads"])

    params = [{"workspace": str(ws.root), "shard": plan.shard(k), "protocol": protocol, "cfg": cfg,
               "bar": bar if here else None, "own_peak": not here} for k in plan.todo]
    try:
        results = run_shards(rollout_shard_task, params, runner, on_done=done,
                             gpus=shard_gpus(runner, cfg.engine, cfg.tensor_parallel_size))
    finally:
        bar.close()
        if here:
            pool.release()  # the engine's memory goes back before training starts
    tokens = sum(r["tokens"] for r in results)
    return rollout_lib.finish_rollout(plan, cfg, tokens, len(results), time.perf_counter() - t0, results)


# Never cached: a shard is skipped when its files are complete (rollout_shard), which is what resumes a run.
@task(name="rollout-shard", cache_policy=NO_CACHE, persist_result=False)
def rollout_shard_task(workspace: str, shard: rollout_lib.RolloutShard, protocol: ProtocolConfig,
                       cfg: RolloutConfig, bar: TokenRate | None = None, own_peak: bool = False) -> dict:
    """Shard k of a run, with this process's pooled engine (one per worker, reused across its shards).

    `bar`: the driver's progress bar when the shard runs in its process (runner.kind local), else None.
    `own_peak`: the shard runs in a process of its own (a Ray worker): report that process's peak RSS while
    it ran (its held engine included). In the driver's process the rollout task measures the stage instead
    (resetting the high-water mark here would lose the stage's earlier peak)."""
    t0 = time.perf_counter()
    with peak_rss() if own_peak else nullcontext() as peak:
        engine, tokenizer = pool.shared_engine(cfg, shard.local)
        tokens = rollout_lib.rollout_shard(Workspace(workspace), shard, protocol, cfg, engine, tokenizer, bar=bar)
    report = {"shard": shard.k, "trajectories": len(shard.prompts) * cfg.n, "tokens": tokens,
              "seconds": time.perf_counter() - t0, "pid": os.getpid(), "engine_loads": pool.loads()}
    return report | ({"peak_rss_bytes": peak.bytes} if own_peak else {})


def _result(out: RolloutOutput, params: dict, tags: dict, metrics: dict) -> RolloutResult:
    return RolloutResult(fingerprint=out.fingerprint, params=params, metrics=metrics,
                         tags={"drift.run_id": out.run.run_id, **tags}, run_id=out.run.run_id)
