"""Multi-turn evaluation: the rollout's episode loop with greedy decoding, one trajectory per problem.

Writes eval_trajectories, eval_turns and eval_metrics (docs/design.md §5) into the workspace warehouse.
An evaluation is named by `eval_id` (default: a hash of model, prompts and settings), so rerunning
the same evaluation replaces its rows instead of adding duplicates.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyarrow as pa

from drift_core.config.eval import EvalConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.engines import engine_from_config
from drift_core.engines.base import Engine
from drift_core.episode import Episode
from drift_core.errors import DriftError
from drift_core.fingerprint import digest
from drift_core.multiturn import Problem, TokenRate, run_episodes
from drift_core.sqlfiles import ensure_tables, materialise, run_sql, transaction
from drift_core.stats import z_value
from drift_core.store import Workspace

EVAL_TABLES = ("eval_trajectories", "eval_turns", "eval_metrics")  # what store_eval writes


@dataclass
class EvalResult:
    eval_id: str
    model: str
    dataset: str
    metrics: dict[str, float | None]  # metric -> value (None when its denominator is 0)
    intervals: dict[str, tuple[float | None, float | None]]  # metric -> (ci_low, ci_high)
    per_problem: dict[str, int | None]  # prompt_id -> t_star (first correct turn, None if never)
    num_problems: int = 0
    tokens: int = 0
    seconds: float = 0.0
    table: list[dict] = field(default_factory=list)  # the eval_metrics rows, in display order


def check_prompts(prompts: list[dict]) -> list[Problem]:
    """Every evaluation prompt needs an id, a question and a gold answer; errors name the prompt."""
    if not prompts:
        raise DriftError("no evaluation prompts (the prompt source is empty)")
    problems, seen = [], set()
    for i, p in enumerate(prompts):
        pid = p.get("prompt_id")
        where = f"evaluation prompt {i}" + (f" ('{pid}')" if pid else "")
        if not pid:
            raise DriftError(f"{where}: missing prompt_id")
        if pid in seen:
            raise DriftError(f"{where}: duplicate prompt_id")
        seen.add(pid)
        if not str(p.get("question") or "").strip():
            raise DriftError(f"{where}: missing question")
        if not str(p.get("gold") or "").strip():
            raise DriftError(f"{where}: no gold answer; evaluation needs one per problem")
        problems.append(Problem(str(pid), str(p["question"]), str(p["gold"])))
    return problems


def default_eval_id(model: str, dataset: str, ids: list[str], protocol: ProtocolConfig, cfg: EvalConfig) -> str:
    """Same model, problems, protocol and settings -> same id, so a rerun replaces its rows. Settings are
    the configs' content dumps, as in every cache key (engine, batch size, device left out)."""
    return "e-" + digest(model, dataset, ids, protocol, cfg)[:12]


@dataclass
class EvalShard:
    """Shard k of an evaluation: plain values, so it runs in another process (a Ray worker) from this alone."""

    eval_id: str
    local: str  # where the model is loaded from (the same path on every node)
    protocol: ProtocolConfig  # as evaluation runs it (eval.prompt_mode)
    k: int
    problems: list[Problem]


@dataclass
class EvalPlan:
    """An evaluation decided before any episode runs: its id, model, problems cut into shards."""

    eval_id: str
    model: str  # as stored (workspace-relative inside the workspace)
    local: str
    dataset: str
    protocol: ProtocolConfig
    prompts: list[dict]
    shards: list[list[Problem]]

    def shard(self, k: int) -> EvalShard:
        return EvalShard(self.eval_id, self.local, self.protocol, k, self.shards[k])


def plan_eval(workspace: Workspace, model_path: str, prompts: list[dict], protocol: ProtocolConfig, cfg: EvalConfig,
              *, dataset: str = "tiny-world-test", eval_id: str | None = None) -> EvalPlan:
    """Check the problems and the model, name the evaluation, cut it into cfg.prompts_per_shard shards."""
    from drift_core.chat import load_tokenizer

    protocol = protocol.for_eval(cfg.prompt_mode)  # the episodes (and the eval id) use eval.prompt_mode
    prompts = prompts[: cfg.limit] if cfg.limit else prompts
    problems = check_prompts(prompts)
    model_path = workspace.portable(model_path)  # as stored: workspace-relative inside it (docs/design.md §5)
    local = str(workspace.resolve(model_path))
    eval_id = eval_id or default_eval_id(model_path, dataset, [p.prompt_id for p in problems], protocol, cfg)
    load_tokenizer(local)  # fails fast on a model dir without a tokenizer
    size = cfg.prompts_per_shard or len(problems)
    shards = [problems[i : i + size] for i in range(0, len(problems), size)]
    return EvalPlan(eval_id, model_path, local, dataset, protocol, prompts, shards)


def eval_shard_seed(cfg: EvalConfig, k: int) -> int:
    """Shard 0 keeps cfg.seed, so one shard (the default) draws what an unsharded evaluation drew."""
    return cfg.seed + 7919 * k


def eval_shard(shard: EvalShard, cfg: EvalConfig, engine: Engine, tokenizer, *,
               bar: TokenRate | None = None) -> list[Episode]:
    """Shard k's episodes (one per problem); `finish_eval` stores them with the other shards' in one transaction."""
    return run_episodes(
        engine, tokenizer, shard.problems, shard.protocol, n=1, temperature=cfg.temperature, top_p=cfg.top_p,
        max_new_tokens=cfg.max_new_tokens, seed=eval_shard_seed(cfg, shard.k), seed_scheme=cfg.seed_scheme,
        progress=bar,
    )


def evaluate(workspace: Workspace, model_path: str, prompts: list[dict], protocol: ProtocolConfig,
             cfg: EvalConfig, *, engine: str | Engine | None = None, dataset: str = "tiny-world-test",
             eval_id: str | None = None, progress: bool = True) -> EvalResult:
    """Run one episode per problem with `model_path` and store trajectories, turns and metrics.

    `engine`: a loaded engine (kept open), an engine name, or None for cfg.engine. Shards run here one after
    the other; the pipeline's evaluate task maps `eval_shard` over its task runner instead (tasks/shards.py)."""
    from drift_core.chat import load_tokenizer

    t0 = time.perf_counter()
    plan = plan_eval(workspace, model_path, prompts, protocol, cfg, dataset=dataset, eval_id=eval_id)
    tokenizer = load_tokenizer(plan.local)
    own = not isinstance(engine, Engine)
    if own:
        engine = engine_from_config(cfg, plan.local, engine)
    bar = TokenRate(sum(len(s) for s in plan.shards), f"eval {dataset}", enabled=progress)
    try:
        episodes = [e for k in range(len(plan.shards)) for e in eval_shard(plan.shard(k), cfg, engine, tokenizer,
                                                                            bar=bar)]
    finally:
        bar.close()
        if own:
            engine.close()
    return finish_eval(workspace, plan, cfg, episodes, time.perf_counter() - t0)


def finish_eval(workspace: Workspace, plan: EvalPlan, cfg: EvalConfig, episodes: list[Episode],
                seconds: float) -> EvalResult:
    """Store every shard's episodes (one transaction) and return the figures."""
    gold_rows = [p for p in plan.prompts if {"split", "source"} <= p.keys()]
    table = store_eval(workspace, plan.eval_id, plan.model, plan.dataset, episodes, plan.protocol, cfg, gold_rows)
    return EvalResult(
        eval_id=plan.eval_id,
        model=plan.model,
        dataset=plan.dataset,
        metrics={r["metric"]: r["value"] for r in table},
        intervals={r["metric"]: (r["ci_low"], r["ci_high"]) for r in table},
        per_problem={e.prompt_id: e.t_star for e in episodes},
        num_problems=len(episodes),
        tokens=sum(t.completion_tokens for e in episodes for t in e.turns),
        seconds=seconds,
        table=table,
    )


def store_eval(ws: Workspace, eval_id: str, model: str, dataset: str, episodes: list[Episode],
               protocol: ProtocolConfig, cfg: EvalConfig, prompt_rows: list[dict]) -> list[dict]:
    """Replace the evaluation's rows and metrics in one transaction; returns its eval_metrics rows."""
    traj = pa.Table.from_pylist([
        {"eval_id": eval_id, "model": model, "dataset": dataset, "prompt_id": e.prompt_id,
         "question": e.question, "gold": e.gold, "messages": e.messages, "num_turns": e.num_turns,
         "max_turns": protocol.max_turns, "t_star": e.t_star, "format_penalty": e.format_penalty,
         "answer_norms": e.answer_norms, "temperature": cfg.temperature}
        for e in episodes
    ])
    turns = pa.Table.from_pylist([
        {"eval_id": eval_id, "prompt_id": e.prompt_id, "turn": t.turn, "response": t.response,
         "answer": t.answer, "answer_norm": t.answer_norm, "correct": t.correct, "format_ok": t.format_ok,
         "completion_tokens": t.completion_tokens}
        for e in episodes for t in e.turns
    ])
    con = ws.connect()
    try:
        ensure_tables(con, EVAL_TABLES)
        with transaction(con):
            if prompt_rows:
                ws.upsert_prompts(con, prompt_rows)
            # writing the trajectories deletes the evaluation's old turns and metrics (they depend on them)
            materialise(con, "eval_trajectories", {"eval_id": eval_id}, rows=traj)
            if turns.num_rows:
                materialise(con, "eval_turns", {"eval_id": eval_id}, rows=turns)
            materialise(con, "eval_metrics", {"eval_id": eval_id, "z": z_value(cfg.confidence),
                                              "confidence": cfg.confidence, "n_boot": cfg.bootstrap_samples})
        cur = run_sql(con, "lookups/eval_metrics_of", {"eval_id": eval_id})
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
