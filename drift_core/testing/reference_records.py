"""Synthetic trajectory records in the reference repository's JSONL format (docs/design.md §1).

Full records (messages, verifier, turn_rewards, reward_details, t_star, answer_norms,
format_penalty) shaped like the reference generator's output, for tests and benchmarks.
Deterministic for a given seed. About 1.3 kB per record on average (failed trajectories take 5 turns).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

SYSTEM = "You are a helpful assistant. Solve the problem and answer inside <answer> </answer>."
FEEDBACK = "Incorrect. Please think again."


def record(rng: random.Random, prompt_no: int, max_turns: int = 5, p_correct: float = 0.3,
           p_malformed: float = 0.05, format_penalty: float = -0.1, filler: int = 0) -> dict:
    """One trajectory: each turn is correct with p_correct (then the episode ends), malformed with
    p_malformed (no answer, penalty), else a wrong answer drawn from a few candidates (repeats happen)."""
    a, b = rng.randint(10, 99), rng.randint(10, 99)
    gold = str(a + b)
    question = f"What is {a} + {b}? " + "Show your work. " * (filler // 16)
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    verifier, rewards, details, norms = {}, {}, {}, []
    t_star, penalty = None, 0.0
    for t in range(1, max_turns + 1):
        u = rng.random()
        if u < p_correct:
            ans, ok, pen = gold, True, 0.0
        elif u < p_correct + p_malformed:
            ans, ok, pen = None, False, format_penalty
        else:
            ans, ok, pen = str(a + b + rng.choice([-10, -1, 1, 10])), False, 0.0
        text = "Adding: " + (f"<answer>{ans}</answer>" if ans else "I am not sure.")
        messages.append({"role": "assistant", "content": text})
        if ans is not None:
            norms.append(ans)
        penalty += pen
        rewards[f"t{t}"] = 1.0 if ok else 0.0
        verifier[f"t{t}"] = 1 if ok else 0
        details[f"t{t}"] = {
            "env_reward": 1.0 if ok else 0.0,
            "format_penalty": pen,
            "actions": [ans] if ans is not None else [],
            "parsed_actions": [ans] if ans is not None else [],
            "info": {"action_is_valid": ans is not None, "success": ok} if ans is not None else {},
        }
        if ok:
            t_star = t
            break
        if t < max_turns:
            messages.append({"role": "user", "content": FEEDBACK})
    for t in range(1, max_turns + 1):
        verifier.setdefault(f"t{t}", 0)
        rewards.setdefault(f"t{t}", 0.0)
    return {
        "prompt_id": f"MATH_{prompt_no}",
        "gold": gold,
        "messages": messages,
        "verifier": verifier,
        "turn_rewards": rewards,
        "reward_details": details,
        "t_star": t_star,
        "answer_norms": norms,
        "format_penalty": penalty,
    }


def records(n: int, group: int = 16, seed: int = 0, **kw) -> Iterator[dict]:
    """n records, `group` consecutive trajectories per prompt (as the reference writes them).

    Each prompt draws its own success probability, so some prompts fail in every trajectory."""
    rng = random.Random(seed)
    p = 0.3
    for i in range(n):
        if i % group == 0:
            p = rng.choice([0.0, 0.05, 0.2, 0.4, 0.7])
        yield record(rng, i // group, p_correct=p, **kw)


def write_jsonl(path: str | Path, n: int, group: int = 16, seed: int = 0, **kw) -> Path:
    path = Path(path)
    with path.open("w") as f:
        for rec in records(n, group, seed, **kw):
            f.write(json.dumps(rec) + "\n")
    return path
