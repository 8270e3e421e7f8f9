"""Rollout stage: sample multi-turn trajectories from the frozen reference, shard by shard.

A run is named by `run_id`; its prompts are cut into shards of `prompts_per_shard`. Each finished
shard is two Parquet files (turns, then trajectories: the trajectories file marks it complete, and the
`turns` view shows only complete shards). Rerunning the same run skips finished shards, so a killed
rollout resumes without losing or duplicating rows. `_run.json` (the run's manifest) is written
atomically (docs/reliability.md).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

import pyarrow as pa

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.rollout import RolloutConfig
from drift_core.engines import engine_from_config
from drift_core.engines.base import Engine
from drift_core.episode import Episode
from drift_core.errors import DriftError
from drift_core.faults import fault_point
from drift_core.fingerprint import digest
from drift_core.multiturn import Problem, TokenRate, run_episodes
from drift_core.store import Workspace


@dataclass
class RolloutResult:
    run_id: str
    trajectories: int
    tokens: int
    shards_written: int
    shards_skipped: int
    seconds: float = 0.0
    shard_reports: list[dict] = field(default_factory=list)  # per shard written by a task: pid, engine loads


def default_run_id(model: str, prompt_ids: list[str], protocol: ProtocolConfig, cfg: RolloutConfig) -> str:
    """A content name: same model, prompts and settings -> same run (so a rerun resumes it). Settings are
    the configs' content dumps, as in every cache key (speed-only fields such as batch_size left out)."""
    return "r-" + digest(model, prompt_ids, protocol, cfg.model_copy(update={"run_id": None}))[:12]


def round_run_id(run_id: str, round: int) -> str:
    """Round k >= 2 of iterative DRIFT samples from round k-1's model under `<run_id>-round<k>`, so the
    tables keep the round (sql/lookups/runs.sql reads it back; round 1 keeps the plain id, as before rounds)."""
    if round < 1:
        raise DriftError(f"round {round}: rounds count from 1")
    return run_id if round == 1 else f"{run_id}-round{round}"


def shard_seed(cfg: RolloutConfig, shard: int) -> int:
    """Base seed of shard `shard`'s episodes: its own per shard ('per_turn'), or cfg.seed ('fixed')."""
    return cfg.seed if cfg.seed_scheme == "fixed" else cfg.seed * 100_003 + shard


@dataclass
class RolloutShard:
    """One shard of a run, all a worker needs to sample and write it (docs/scale-out.md): plain values, so
    it runs in another process (a Ray worker) from this alone."""

    run_id: str
    model: str  # as stored in trajectories.policy (workspace-relative inside it)
    local: str  # where the model is loaded from (the same path on every node: a shared or copied directory)
    k: int
    prompts: list[dict]


@dataclass
class RolloutPlan:
    """A run decided before any shard is sampled: its shards and those not yet complete on disk."""

    run_id: str
    model: str
    local: str
    shards: list[list[dict]]  # shard k's prompts
    todo: list[int]

    def shard(self, k: int) -> RolloutShard:
        return RolloutShard(self.run_id, self.model, self.local, k, self.shards[k])


def plan_rollout(workspace: Workspace, prompts: list[dict], protocol: ProtocolConfig, cfg: RolloutConfig,
                 model: str, *, round: int = 1) -> RolloutPlan:
    """Validate the model, name the run, check or write its manifest, store the prompts, list missing shards.

    `round`: which round of iterative DRIFT the run is (docs/design.md §10, "Rounds"): it names the run
    (round_run_id); `model` is then the previous round's. Every runner's shards carry the plan's run id."""
    if not prompts:
        raise DriftError("no prompts to roll out (the prompt source is empty)")
    from drift_core.chat import load_tokenizer

    # Recorded as stored (workspace-relative when inside it, docs/design.md §5), loaded from where it is.
    model = workspace.portable(model)
    local = workspace.resolve(model)
    load_tokenizer(local)  # validate the model (tokenizer, chat template) before anything is written
    ids = [p["prompt_id"] for p in prompts]
    run_id = round_run_id(cfg.run_id or default_run_id(model, ids, protocol, cfg), round)
    per_shard = _check_manifest(workspace, run_id, model, ids, protocol, cfg)
    workspace.remove_temp_files(run_id)  # a killed earlier attempt's partial files (never visible)

    con = workspace.connect()
    try:
        workspace.upsert_prompts(con, prompts)
    finally:
        con.close()

    shards = [prompts[i : i + per_shard] for i in range(0, len(prompts), per_shard)]
    todo = [k for k in range(len(shards)) if not workspace.shard_done(run_id, k)]
    return RolloutPlan(run_id, model, str(local), shards, todo)


def rollout_shard(workspace: Workspace, shard: RolloutShard, protocol: ProtocolConfig, cfg: RolloutConfig,
                  engine: Engine, tokenizer, *, bar: TokenRate | None = None) -> int:
    """Sample shard k and write it (turns, then trajectories: the completion marker); returns its tokens.

    A shard already complete is skipped (0 tokens), so a retried or duplicated shard task never writes its
    rows twice. Its seed derives from k alone (shard_seed), never from the worker or the order shards run
    in: any runner samples the same text."""
    if workspace.shard_done(shard.run_id, shard.k):
        return 0
    eps = run_episodes(
        engine,
        tokenizer,
        [Problem(p["prompt_id"], p["question"], p["gold"]) for p in shard.prompts],
        protocol,
        n=cfg.n,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        max_new_tokens=cfg.max_new_tokens,
        seed=shard_seed(cfg, shard.k),
        seed_scheme=cfg.seed_scheme,
        progress=bar,
    )
    # turns first: the trajectories shard is the completion marker (Workspace.shard_done).
    workspace.write_shard("turns", shard.run_id, shard.k, turns_table(shard.run_id, eps))
    fault_point("rollout.after_turns_shard")  # the dangerous point: turns on disk, shard not complete
    workspace.write_shard("trajectories", shard.run_id, shard.k, trajectories_table(shard.run_id, shard.model, eps))
    fault_point("rollout.after_shard")
    return sum(t.completion_tokens for e in eps for t in e.turns)


def rollout(
    workspace: Workspace,
    prompts: list[dict],
    protocol: ProtocolConfig,
    cfg: RolloutConfig,
    model: str,
    *,
    engine: Engine | None = None,
    progress: bool = True,
    round: int = 1,
) -> RolloutResult:
    """Generate every missing shard of the run in this process; returns counts over the whole run. `round`:
    which round of iterative DRIFT the run is (docs/design.md §10, "Rounds"): it names the run (round_run_id).

    The pipeline's rollout task maps the same `rollout_shard` over its task runner instead (tasks/shards.py)."""
    from drift_core.chat import load_tokenizer

    t0 = time.perf_counter()
    plan = plan_rollout(workspace, prompts, protocol, cfg, model, round=round)
    written = tokens = 0
    if plan.todo:
        tokenizer = load_tokenizer(plan.local)
        own_engine = engine is None
        if engine is None:
            engine = engine_from_config(cfg, plan.local)
        bar = TokenRate(sum(len(plan.shards[k]) for k in plan.todo) * cfg.n, f"rollout {plan.run_id}",
                        enabled=progress)
        try:
            for k in plan.todo:
                tokens += rollout_shard(workspace, plan.shard(k), protocol, cfg, engine, tokenizer, bar=bar)
                written += 1
        finally:
            bar.close()
            if own_engine:
                engine.close()
    return finish_rollout(plan, cfg, tokens, written, time.perf_counter() - t0)


def finish_rollout(plan: RolloutPlan, cfg: RolloutConfig, tokens: int, written: int, seconds: float,
                   reports: list[dict] | None = None) -> RolloutResult:
    """Counts over the whole run: tokens and seconds are this attempt's (shards already on disk are not sampled)."""
    return RolloutResult(run_id=plan.run_id, trajectories=sum(len(s) for s in plan.shards) * cfg.n, tokens=tokens,
                         shards_written=written, shards_skipped=len(plan.shards) - len(plan.todo), seconds=seconds,
                         shard_reports=reports or [])


def _check_manifest(ws: Workspace, run_id: str, model: str, ids, protocol, cfg) -> int:
    """Refuse to resume a run_id that was started with other prompts or settings; returns the shard size.

    The shard size is layout, not content: a run resumed with another prompts_per_shard keeps the one it
    started with (shard k must hold the same prompts, and its seed derives from k)."""
    manifest = {
        "run_id": run_id,
        "model": model,
        "prompt_ids_sha": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
        "num_prompts": len(ids),
        "protocol": protocol.content_dump(),
        "rollout": cfg.content_dump(),
    }
    path = ws.run_location(run_id, "_run.json")
    old = _read_manifest(ws, run_id, path)
    if old is not None:
        layout = old.pop("layout", {})
        if isinstance(old.get("model"), str):  # runs started before models were stored workspace-relative
            old["model"] = ws.portable(ws.resolve(old["model"]))
        if old != manifest:
            diff = sorted(k for k in manifest if old.get(k) != manifest[k])
            raise DriftError(f"run_id '{run_id}' exists with different {', '.join(diff)}; pick another run_id")
        return int(layout.get("prompts_per_shard", cfg.prompts_per_shard))
    manifest["layout"] = {"prompts_per_shard": cfg.prompts_per_shard}
    # temp + fsync + rename on disk, one PUT on S3: never a partial or empty manifest
    ws.files.write_text(path, json.dumps(manifest, indent=2))
    return cfg.prompts_per_shard


def _read_manifest(ws: Workspace, run_id: str, path: str) -> dict | None:
    """The run's `_run.json`, or None when the run has none yet.

    An unreadable one (empty or cut short: written by a version before manifests were atomic, e.g. on a
    full disk) is taken as absent when the run has no finished shard yet, since nothing depends on it;
    otherwise it is an error that says what to do, not a JSONDecodeError."""
    if not ws.files.exists(path):
        return None
    try:
        old = json.loads(ws.files.read_text(path))
        if isinstance(old, dict):
            return old
    except (ValueError, UnicodeDecodeError):
        pass
    if not ws.run_shards(run_id):
        return None
    raise DriftError(f"{path} is unreadable (empty or cut short, from an interrupted write) and run '{run_id}' "
                     "has finished shards: delete the run's directories under tables/ to start it again, "
                     "or pick another run_id")


def turns_table(run_id: str, episodes: list[Episode]) -> pa.Table:
    rows = [
        {
            "run_id": run_id,
            "prompt_id": e.prompt_id,
            "sample_idx": e.sample_idx,
            "turn": t.turn,
            "response": t.response,
            "answer": t.answer,
            "answer_norm": t.answer_norm,
            "correct": t.correct,
            "reward": t.reward,
            "format_ok": t.format_ok,
            "format_penalty": t.format_penalty,
            "completion_tokens": t.completion_tokens,
        }
        for e in episodes
        for t in e.turns
    ]
    return pa.Table.from_pylist(rows)


def reward_details(e: Episode) -> dict:
    """The reference's per-turn detail object, keyed 't1'..'tk'."""
    return {
        f"t{t.turn}": {
            "env_reward": t.reward,
            "format_penalty": t.format_penalty,
            "actions": [t.answer] if t.answer is not None else [],
            "parsed_actions": [t.answer] if t.answer is not None else [],
            "info": {"success": t.correct, "action_is_valid": t.format_ok} if t.format_ok else {},
        }
        for t in e.turns
    }


def trajectories_table(run_id: str, policy: str, episodes: list[Episode]) -> pa.Table:
    rows = []
    for e in episodes:
        k = e.protocol.max_turns
        rewards = [0.0] * k
        for t in e.turns:
            rewards[t.turn - 1] = t.reward
        rows.append(
            {
                "run_id": run_id,
                "prompt_id": e.prompt_id,
                "sample_idx": e.sample_idx,
                "policy": policy,
                "gold": e.gold,
                "messages": e.messages,
                "num_turns": e.num_turns,
                "max_turns": k,
                "t_star": e.t_star,
                "format_penalty": e.format_penalty,
                "answer_norms": e.answer_norms,
                "turn_rewards": rewards,
                "reward_details": json.dumps(reward_details(e)),
                "extra": None,
            }
        )
    return pa.Table.from_pylist(rows)
