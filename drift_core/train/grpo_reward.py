"""The online arm's reward: the trajectory's return R, by the formula of sql/returns.sql (docs/design.md §1).

GRPO's advantage of a trajectory is its R minus its group's mean (TRL), where the offline arms turn the same
R into exp(R/beta) weights in SQL. The arithmetic is written once more here, term by term, because TRL asks
for rewards inside its training step, per batch, without a warehouse; tests/drift_core/test_grpo_reward.py
runs sql/returns.sql on a DuckDB over the same trajectories and asserts equality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from drift_core.episode import Episode


def trajectory_return(turn_rewards: Sequence[float | None], format_penalty: float | None,
                      answer_norms: Sequence[str | None], gamma: float, repeat_penalty_lambda: float) -> float:
    """R = sum_t gamma^(t-1) r_t + format_penalty - repeat_penalty, with
    repeat_penalty = lambda (1 - distinct(non-empty answer_norms) / len(answer_norms)), 0 when there are none.

    As the SQL: a missing reward counts 0; '' (a turn without an answer) is not a distinct answer but counts
    in len; a missing format_penalty counts 0."""
    discounted = sum((0.0 if r is None else r) * pow(gamma, i) for i, r in enumerate(turn_rewards))
    norms = list(answer_norms)
    repeat = 0.0
    if norms:
        distinct = sum(1 for i, a in enumerate(norms) if a not in ("", None) and norms.index(a) == i)
        repeat = max(0.0, repeat_penalty_lambda * (1.0 - distinct / len(norms)))
    return discounted + (0.0 if format_penalty is None else format_penalty) - repeat


def turn_rewards(episode: Episode) -> list[float]:
    """r_1..r_K with 0 for turns not taken: the trajectories table's column (drift_core/rollout.py)."""
    rewards = [0.0] * episode.protocol.max_turns
    for t in episode.turns:
        rewards[t.turn - 1] = t.reward
    return rewards


def reward_fields(episodes: Sequence[Episode]) -> dict[str, list]:
    """Per trajectory, what the reward reads: the trajectories table's columns. rollout_func returns them beside
    the tokens and TRL hands them to the reward function as keyword arguments."""
    return {
        "turn_rewards": [turn_rewards(e) for e in episodes],
        "format_penalty": [e.format_penalty for e in episodes],
        "answer_norms": [list(e.answer_norms) for e in episodes],
    }


def make_reward_func(gamma: float, repeat_penalty_lambda: float) -> Callable[..., list[float]]:
    """TRL reward function: each trajectory's return, from the fields `reward_fields` gave."""

    def drift_return(prompts, completions, turn_rewards, format_penalty, answer_norms, **_) -> list[float]:
        return [trajectory_return(r, fp, a, gamma, repeat_penalty_lambda)
                for r, fp, a in zip(turn_rewards, format_penalty, answer_norms, strict=True)]

    return drift_return
