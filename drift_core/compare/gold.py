"""The gold-sft arm's data: one single-turn episode per train prompt whose only answer is the gold one,
stored as a run (policy 'gold') beside the rollouts, so the weights stage and the trainer take it unchanged."""

from __future__ import annotations

import hashlib
import json

from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import Episode, prefill_text
from drift_core.store import Workspace


def gold_episodes(prompts: list[dict], protocol: ProtocolConfig) -> list[Episode]:
    """One single-turn episode per prompt whose only answer is the gold one.

    Stepping a real Episode gives exactly the rollout's message format (system, user with the
    instruction and format line, assistant '<answer>gold</answer>'), so the trainer sees the same
    text a rollout's turn-1 success would have.
    """
    eps = []
    for p in prompts:
        ep = Episode(prompt_id=p["prompt_id"], sample_idx=0, question=p["question"], gold=str(p["gold"]),
                     protocol=protocol)
        gold = str(p["gold"])
        full = f"<think></think><answer>{gold}</answer>" if protocol.think else f"<answer>{gold}</answer>"
        generated = full[len(prefill_text(protocol)):]  # the prefill is what the engine would have given
        ep.step(generated, completion_tokens=0)
        eps.append(ep)
    return eps


def gold_run_id(prompts: list[dict], protocol: ProtocolConfig) -> str:
    blob = json.dumps([[p["prompt_id"], str(p["gold"])] for p in prompts] + [protocol.model_dump()], sort_keys=True)
    return "gold-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def write_gold_run(ws: Workspace, prompts: list[dict], protocol: ProtocolConfig) -> tuple[str, int]:
    """Store the gold answers as a run (policy 'gold') beside the rollouts; returns (run_id, trajectories).

    Stored like a rollout, the weights stage (scheme uniform) and the trainer take it unchanged.
    """
    from drift_core.rollout import trajectories_table, turns_table

    eps = gold_episodes(prompts, protocol)
    run_id = gold_run_id(prompts, protocol)
    con = ws.connect()
    try:
        ws.upsert_prompts(con, [p for p in prompts if {"split", "source"} <= p.keys()])
    finally:
        con.close()
    ws.write_shard("turns", run_id, 0, turns_table(run_id, eps))
    ws.write_shard("trajectories", run_id, 0, trajectories_table(run_id, "gold", eps))
    return run_id, len(eps)
