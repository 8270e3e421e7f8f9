"""Part 3 without DuckDB (or scipy): the documented fallbacks of rollout, weights and eval."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from benchmarks.gpu_check.timed import timed
from benchmarks.gpu_check.weights import drift_weights, episode_record


def pipeline_fallback(args, cfg, world: Path, train_set, stages: dict, res: dict):
    """Rollout and weights without DuckDB: run_episodes on the hf engine, then the in-script formula."""
    import pyarrow as pa

    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem, run_episodes
    from drift_core.weight_schemes import DRIFT  # the one scheme drift_weights implements

    r, protocol = cfg.rollout, train_set.protocol(cfg.protocol)
    problems = [Problem(p["prompt_id"], p["question"], p["gold"]) for p in train_set.rows]
    stages["prompts"] = {"path": "fallback: read the tiny world's split", "seconds": 0.0}

    def rollout():
        engine = HFEngine(str(world), device=r.device, dtype=r.dtype, batch_size=r.batch_size)
        try:
            return run_episodes(engine, engine.tokenizer, problems, protocol, n=r.n, temperature=r.temperature,
                                top_p=r.top_p, max_new_tokens=r.max_new_tokens, seed=r.seed)
        finally:
            engine.close()

    eps = timed(stages, "rollout", "fallback: run_episodes on the hf engine", rollout)
    n = max(len(eps), 1)
    res["rollout"] = {"run_id": None, "trajectories": len(eps),
                      "tokens": sum(t.completion_tokens for e in eps for t in e.turns),
                      "sampled_multi": {f"multi@{k}": sum(e.t_star is not None and e.t_star <= k for e in eps) / n
                                        for k in range(1, protocol.max_turns + 1)}}
    w = cfg.weights
    if w.scheme != DRIFT.name or w.beta == "auto":
        raise RuntimeError("the weights fallback implements scheme drift with a numeric beta only")
    weights = timed(stages, "weights", "skipped (no duckdb): used the in-script formula",
                    lambda: drift_weights([episode_record(e) for e in eps], w.gamma, float(w.beta),
                                          protocol.repeat_penalty_lambda))
    rows = pa.Table.from_pylist([{"prompt_id": e.prompt_id, "sample_idx": e.sample_idx, "messages": e.messages,
                                  "weight": weights[(e.prompt_id, e.sample_idx)]} for e in eps])
    ess = []
    by_prompt = defaultdict(list)
    for (pid, _), x in weights.items():
        by_prompt[pid].append(x)
    for xs in by_prompt.values():
        ess.append(sum(xs) ** 2 / max(sum(x * x for x in xs), 1e-300) / len(xs))
    res["weights"] = {"scheme": w.scheme, "beta": w.beta, "gamma": w.gamma, "rows": rows.num_rows,
                      "mean_ess_fraction": sum(ess) / len(ess), "fallback": True}
    return None, rows


def eval_fallback(cfg, model: str, test_set) -> dict[str, float]:
    """Greedy episodes (one per problem) on the hf engine; multi@k = share solved within k turns."""
    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem, run_episodes
    from drift_core.tiny_world.card import episode_metrics

    e, protocol = cfg.eval, test_set.protocol(cfg.protocol)
    engine = HFEngine(model, device=e.device, dtype=e.dtype, batch_size=e.batch_size)
    try:
        problems = [Problem(p["prompt_id"], p["question"], p["gold"]) for p in test_set.rows]
        eps = run_episodes(engine, engine.tokenizer, problems, protocol, n=1, temperature=e.temperature,
                           top_p=e.top_p, max_new_tokens=e.max_new_tokens, seed=e.seed)
    finally:
        engine.close()
    return {k: v for k, v in episode_metrics(eps, protocol.max_turns).items() if k.startswith("multi@")}
