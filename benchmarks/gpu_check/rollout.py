"""Part 2, rollout: the `hf` engine in the multi-turn loop (drift_core.multiturn.run_episodes), T=1, on the same
Qwen2-shaped random model saved to a directory: all trajectories batched vs one trajectory at a time.
Figure: generated tokens per second (eos included). The random model's ids beyond its small tokenizer
decode to nothing, so every turn runs to max_new_tokens: a fixed-length decode measurement.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from benchmarks.gpu_check.device import free_memory, peak_gib, reset_peak, sync
from benchmarks.gpu_check.log import log
from benchmarks.gpu_check.model import build_qwen2, chat_tokenizer, qwen2_config


def timed_episodes(engine, tok, problems, protocol, n: int, args, seed: int) -> tuple[int, int, float]:
    """(trajectories, generated tokens, seconds) of one run_episodes call at T=1."""
    from drift_core.multiturn import run_episodes

    sync()
    t0 = time.perf_counter()
    eps = run_episodes(engine, tok, problems, protocol, n=n, temperature=1.0, top_p=1.0,
                       max_new_tokens=args.max_new_tokens, seed=seed)
    sync()
    return len(eps), sum(t.completion_tokens for e in eps for t in e.turns), time.perf_counter() - t0


def part_rollout(args, work: Path, res: dict) -> None:
    from drift_core.config import PromptsConfig, ProtocolConfig
    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem
    from drift_core.prompts import load_prompts

    tok = chat_tokenizer(work)
    model_dir = work / "qwen2-random"
    model = build_qwen2(qwen2_config(args.tiny, tok), args.device, "sdpa")
    res["model"] = {"class": "Qwen2ForCausalLM", "params": sum(p.numel() for p in model.parameters()),
                    "dir": str(model_dir)}
    model.save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    del model
    free_memory()
    engine = HFEngine(str(model_dir), device=args.device, batch_size=args.rollout_batch_size)
    try:
        rows = load_prompts(PromptsConfig(source="arithmetic", count=args.prompts, levels=[1, 2, 3], seed=0))
        problems = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in rows]
        protocol = ProtocolConfig()
        res["settings"] = {"problems": len(problems), "n": args.n, "max_turns": protocol.max_turns,
                           "max_new_tokens": args.max_new_tokens, "temperature": 1.0,
                           "batch_size": args.rollout_batch_size}
        timed_episodes(engine, engine.tokenizer, problems[:2], protocol, 2, args, seed=999)  # warm-up, untimed
        reset_peak()
        trajs, tokens, secs = timed_episodes(engine, engine.tokenizer, problems, protocol, args.n, args, seed=0)
        res["batched"] = {"trajectories": trajs, "tokens": tokens, "seconds": secs, "tokens_per_s": tokens / secs,
                          "peak_mem_gib": peak_gib()}
        log(f"rollout: batched {tokens / secs:,.0f} tok/s ({trajs} trajectories, {secs:.1f} s)")
        # One trajectory per generate call: the same engine and loop, batching the only difference.
        timed_episodes(engine, engine.tokenizer, problems[:1], protocol, 1, args, seed=998)
        deadline = time.perf_counter() + args.seconds
        trajs = tokens = 0
        secs = 0.0
        for k in range(args.single):
            p, s = divmod(k, args.n)
            tr, tk, sc = timed_episodes(engine, engine.tokenizer, problems[p:p + 1], protocol, 1, args, seed=s)
            trajs, tokens, secs = trajs + tr, tokens + tk, secs + sc
            if time.perf_counter() > deadline:
                break  # time box: a rate needs a few trajectories, not all of them
        res["sequential"] = {"trajectories": trajs, "tokens": tokens, "seconds": secs, "tokens_per_s": tokens / secs}
        log(f"rollout: one at a time {tokens / secs:,.0f} tok/s ({trajs} trajectories, {secs:.1f} s)")
        res["ratio_batched_vs_sequential"] = res["batched"]["tokens_per_s"] / res["sequential"]["tokens_per_s"]
    finally:
        engine.close()
        free_memory()
    shutil.rmtree(model_dir, ignore_errors=True)  # ~1 GB on the GPU run
