"""Rollout on Ray workers against the local runner: throughput, and what each shard task costs to schedule.

The same prompts, model and seeded sampling go through the rollout task's sharded code
(tasks.rollout.sharded_rollout) once per runner: `local` (the shard tasks one after the other in this
process), then prefect-ray's RayTaskRunner on a local cluster of 1 and of 2 CPU workers, each in a
fresh workspace. For each it prints trajectories/s and generated tokens/s over the whole stage (cluster
start, one engine load per worker and its shutdown included: what a user waits for) and the ratio to
the local runner; "warm" is the rate inside the shard tasks after each worker's first shard (imports and
engine load left out). The rows are checked to be the same on every runner.

Scheduling overhead per shard: the same runners map a shard task that does nothing, `--noop` times;
(wall time - the cluster's start and stop) / shards is what Prefect's task run plus Ray's dispatch costs
each shard, the floor under a shard's useful work. A shard should hold far more work than that
(rollout.prompts_per_shard).

    .venv/bin/python benchmarks/bench_scale.py                     # test-size tiny world, built in a temp dir
    .venv/bin/python benchmarks/bench_scale.py --model .drift/tiny_world --prompts 256 --n 16 --per-shard 32

On a 2-core machine expect at most ~2x from 2 workers; each worker's torch runs on one thread (Ray sets
OMP_NUM_THREADS to its CPUs), the local runner's on torch's default.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="Model dir (default: the test-size tiny world, built in --out).")
    ap.add_argument("--out", help="Working directory (default: a new temp dir).")
    ap.add_argument("--prompts", type=int, default=48, help="Training prompts of the tiny world (or --prompts-file).")
    ap.add_argument("--prompts-file", help="A prompts JSONL (default: the model's tiny world prompts/train.jsonl).")
    ap.add_argument("--n", type=int, default=4, help="Samples per prompt.")
    ap.add_argument("--per-shard", type=int, default=4, help="rollout.prompts_per_shard.")
    ap.add_argument("--max-turns", type=int, default=3)
    ap.add_argument("--max-new-tokens", type=int, default=16)
    ap.add_argument("--workers", default="1,2", help="Comma list of local Ray cluster sizes (CPUs).")
    ap.add_argument("--noop", type=int, default=40, help="Empty shard tasks per runner for the overhead figure.")
    ap.add_argument("--json", help="Also write the figures to this file.")
    return ap.parse_args(argv)


def runners(args):
    from drift_core.config import RunnerConfig

    return [("local", RunnerConfig())] + [(f"ray x{w}", RunnerConfig(kind="ray", workers=int(w)))
                                          for w in args.workers.split(",")]


def rollout_once(root: Path, model: str, prompts: str, args, runner) -> dict:
    from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig
    from drift_core.stages.model import ModelRef
    from drift_core.store import Workspace
    from tasks.prompts import prompts_task
    from tasks.rollout import sharded_rollout

    ws = Workspace(root)
    ps = prompts_task.fn(str(root), PromptsConfig(source="file", path=prompts, limit=args.prompts))
    cfg = RolloutConfig(n=args.n, max_new_tokens=args.max_new_tokens, prompts_per_shard=args.per_shard, seed=7)
    t0 = time.perf_counter()
    res = sharded_rollout(ws, ps, ModelRef.of(model, ws), ProtocolConfig(max_turns=args.max_turns), cfg, runner)
    seconds = time.perf_counter() - t0
    con = ws.connect(read_only=True)
    try:
        rows = con.execute("SELECT md5(string_agg(t::VARCHAR, '|' ORDER BY prompt_id, sample_idx)) "
                           "FROM trajectories t").fetchone()[0]
    finally:
        con.close()
    return {"trajectories": res.trajectories, "tokens": res.tokens, "seconds": seconds, "shards": res.shards_written,
            "workers": len({r["pid"] for r in res.shard_reports}), "warm": warm_rate(res.shard_reports),
            "rows_md5": rows}


def warm_rate(reports: list[dict]) -> float:
    """Trajectories/s inside the shard tasks after each worker's first (which imports torch and loads the
    engine): the workers' generation speed with scheduling and start-up left out; workers run in parallel,
    so the busiest one's seconds count."""
    first: set[int] = set()
    traj, busy = 0, {}
    for r in sorted(reports, key=lambda r: r["shard"]):
        if r["pid"] not in first:
            first.add(r["pid"])
            continue
        traj += r["trajectories"]
        busy[r["pid"]] = busy.get(r["pid"], 0.0) + r["seconds"]
    return traj / max(busy.values()) if busy else float("nan")


def overhead(runner, shards: int, noop_shard) -> dict:
    """Seconds to start and stop the runner's cluster, and per empty shard task mapped on it."""
    from tasks.shards import run_shards, task_runner

    t0 = time.perf_counter()
    if runner.kind != "local":
        with task_runner(runner):
            pass
    start_stop = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_shards(noop_shard, [{"k": k} for k in range(shards)], runner)
    wall = time.perf_counter() - t0
    return {"start_stop": start_stop, "per_shard": max(wall - start_stop, 0.0) / shards}


def _noop():
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    @task(name="noop-shard", cache_policy=NO_CACHE, persist_result=False)
    def noop_shard(k: int) -> int:
        return k

    return noop_shard


def main(argv=None) -> dict:
    args = parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="bench_scale_"))
    out.mkdir(parents=True, exist_ok=True)
    from flows import defaults

    defaults.apply(out / "api")  # Prefect's ephemeral API and results here, read when prefect is imported
    model = args.model
    if model is None:
        from drift_core.tiny_world import build

        model = str(out / "world")
        if not (Path(model) / "card.json").exists():
            build(model, seed=0, size="test", task="arithmetic", progress=False)
    prompts = args.prompts_file or str(Path(model) / "prompts" / "train.jsonl")

    noop_shard = _noop()
    from prefect import flow

    @flow(name="bench-scale")
    def bench() -> dict:
        figures = {}
        for i, (name, runner) in enumerate(runners(args)):
            r = rollout_once(out / f"ws{i}", model, prompts, args, runner)
            r |= overhead(runner, args.noop, noop_shard)
            figures[name] = r
        return figures

    figures = bench()
    base = figures["local"]
    print(f"{base['trajectories'] // args.n} prompts x n={args.n}, {args.per_shard} per shard "
          f"({base['shards']} shards), max_turns {args.max_turns}, max_new_tokens {args.max_new_tokens}; model {model}")
    print(f"{'runner':<10}{'traj/s':>9}{'tok/s':>9}{'x local':>9}{'seconds':>9}{'workers':>9}"
          f"{'warm traj/s':>13}{'start+stop s':>14}{'ms/shard':>10}")
    for name, r in figures.items():
        r["trajectories_per_s"] = r["trajectories"] / r["seconds"]
        r["tokens_per_s"] = r["tokens"] / r["seconds"]
        r["ratio_to_local"] = base["seconds"] / r["seconds"]
        print(f"{name:<10}{r['trajectories_per_s']:>9.2f}{r['tokens_per_s']:>9.1f}{r['ratio_to_local']:>9.2f}"
              f"{r['seconds']:>9.1f}{r['workers']:>9}{r['warm']:>13.1f}{r['start_stop']:>14.1f}"
              f"{1000 * r['per_shard']:>10.1f}")
    same = len({r["rows_md5"] for r in figures.values()}) == 1
    print(f"same trajectories on every runner: {same}")
    for name, r in figures.items():
        if name != "local":
            print(f"{name}: {r['ratio_to_local']:.2f}x the local runner's throughput end to end, "
                  f"{r['warm'] / base['warm']:.2f}x warm; scheduling overhead {1000 * r['per_shard']:.0f} ms/shard vs "
                  f"{1000 * base['per_shard']:.0f} ms/shard locally")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
