"""The weights fallback: docs/design.md §1, the same arithmetic as sql/returns.sql + sql/weight_rows.sql.

The pipeline uses it where DuckDB does not import, and checks it against the SQL weights where it does.
"""

from __future__ import annotations

import math
from collections import defaultdict


def trajectory_return(turn_rewards, format_penalty, answer_norms, gamma: float, repeat_lambda: float = 0.5) -> float:
    """R = sum_t gamma^(t-1) r_t + format_penalty - repeat_penalty; a missing reward counts 0;
    repeat_penalty = lambda * max(0, 1 - distinct(non-empty answer_norms) / len(answer_norms)), 0 if none."""
    discounted = sum((r or 0.0) * math.pow(gamma, i) for i, r in enumerate(turn_rewards or []))
    norms = [a for a in (answer_norms or []) if a is not None]
    repeat = 0.0
    if norms:
        repeat = max(0.0, repeat_lambda * (1.0 - len({a for a in norms if a != ""}) / len(norms)))
    return discounted + (format_penalty or 0.0) - repeat


def drift_weights(records: list[dict], gamma: float, beta: float, repeat_lambda: float = 0.5) -> dict[tuple, float]:
    """(prompt_id, sample_idx) -> w: per prompt, s_i = R_i/beta, m = max s, w_i = exp(s_i-m) / (mean exp(s-m) + 1e-12).

    records: dicts with prompt_id, sample_idx, turn_rewards, format_penalty, answer_norms (one run).
    """
    groups: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in records:
        ret = trajectory_return(r["turn_rewards"], r["format_penalty"], r["answer_norms"], gamma, repeat_lambda)
        groups[r["prompt_id"]].append((r["sample_idx"], ret / beta))
    out: dict[tuple, float] = {}
    for pid, rows in groups.items():
        m = max(s for _, s in rows)
        e = [(k, math.exp(s - m)) for k, s in rows]
        mean_e = sum(x for _, x in e) / len(e)
        out.update({(pid, k): x / (mean_e + 1e-12) for k, x in e})
    return out


def episode_record(e) -> dict:
    """An Episode as the trajectories table stores what the return reads (turn_rewards padded to K)."""
    rewards = [0.0] * e.protocol.max_turns
    for t in e.turns:
        rewards[t.turn - 1] = t.reward
    return {"prompt_id": e.prompt_id, "sample_idx": e.sample_idx, "turn_rewards": rewards,
            "format_penalty": e.format_penalty, "answer_norms": list(e.answer_norms)}
