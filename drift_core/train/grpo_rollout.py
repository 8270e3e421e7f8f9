"""The online arm's episodes as the token streams TRL's `rollout_func` returns (docs/design.md §10).

Episodes run through `drift_core.multiturn.run_episodes`, the loop of the rollout stage and the evaluation
(render, prefill, engine, Episode.step: parsing, verifier, feedback, max_turns), with the policy being
trained as the engine. Each finished episode then becomes ONE token sequence, as weighted SFT tokenizes it
(drift_core/train/data.py): the first prompt rendered with the prefill; per assistant turn its stored
content after the prefill plus eos (env_mask 1: the tokens the policy chose, the very targets the offline
arms train on), and between turns the rest of the next rendered prompt: the feedback message, the chat
template's headers and the prefill (env_mask 0, no loss). The sequence before turn t's tokens is the text
the engine was given at turn t; `context_mismatches` counts turns whose token ids differ even so (a
tokenizer merging across the pieces), and `canonicalised_turns` those whose stored content differs from the
sampled text (a parsed answer is stored as '<answer>X</answer>', so the trained tokens are not the sampled
ones there).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drift_core.chat import render
from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import Episode, prefill_text
from drift_core.errors import DriftError
from drift_core.multiturn import Problem, run_episodes
from drift_core.train.grpo_reward import make_reward_func, reward_fields


@dataclass
class TokenTrajectory:
    episode: Episode
    prompt_ids: list[int]  # the first prompt, rendered with the prefill
    completion_ids: list[int] = field(default_factory=list)  # everything after it, all turns
    env_mask: list[int] = field(default_factory=list)  # 1 = the policy's token, 0 = feedback / template
    context_mismatches: int = 0  # later turns whose token context differs from the engine's tokenization

    @property
    def model_tokens(self) -> int:
        return sum(self.env_mask)

    def add(self, ids: list[int], model: bool) -> None:
        self.completion_ids += ids
        self.env_mask += [int(model)] * len(ids)


def token_trajectory(tokenizer, episode: Episode) -> TokenTrajectory:
    """The finished `episode` as one token sequence with its env_mask (module docstring)."""
    prefill = prefill_text(episode.protocol)
    msgs = episode.messages
    turns = [i for i, m in enumerate(msgs) if m["role"] == "assistant"]
    eos_id, eos = tokenizer.eos_token_id, tokenizer.eos_token or ""

    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False).input_ids

    seen = render(tokenizer, msgs[: turns[0]], prefill)  # the text the sequence stands for so far
    traj = TokenTrajectory(episode=episode, prompt_ids=ids(seen))
    for k, i in enumerate(turns):
        if k:
            context = render(tokenizer, msgs[:i], prefill)  # what the engine was given at this turn
            if not context.startswith(seen):
                raise DriftError(
                    "the chat template does not render a conversation as its earlier rendering plus the new turn "
                    "(each assistant turn closed by the eos token, then the next messages): a multi-turn episode "
                    "is then no single token sequence, which online GRPO needs (docs/design.md §10)")
            traj.add(ids(context[len(seen):]), model=False)
            traj.context_mismatches += traj.prompt_ids + traj.completion_ids != ids(context)
            seen = context
        content = msgs[i]["content"]
        answer = content[len(prefill):] if prefill and content.startswith(prefill) else content
        traj.add(ids(answer) + ([eos_id] if eos_id is not None else []), model=True)
        seen += answer + eos
    return traj


@dataclass
class RolloutStats:
    """What the rollout_func spent, summed over its calls (the online arm's cost, docs/design.md §10)."""

    calls: int = 0
    trajectories: int = 0
    generated_tokens: int = 0  # sampled by the policy, eos included (the rollout stage's count)
    trained_tokens: int = 0  # env_mask 1 tokens handed to the loss (per optimisation pass)
    env_tokens: int = 0  # feedback and template tokens inside the completions (env_mask 0)
    turns: int = 0
    canonicalised_turns: int = 0
    context_mismatches: int = 0
    seconds: float = 0.0
    mean_return: float | None = None  # of the latest call's trajectories
    solved: float | None = None  # share of the latest call's trajectories solved


def group_problems(prompts: Sequence[str], n: int, problems: dict[str, Problem]) -> list[Problem]:
    """TRL passes each prompt `n` times in a row (a group); the problems in group order."""
    if len(prompts) % n or any(prompts[g + j] != prompts[g] for g in range(0, len(prompts), n) for j in range(n)):
        raise DriftError(f"rollout_func expects each prompt {n} times in a row (TRL's groups), got {list(prompts)}")
    missing = sorted({p for p in prompts if p not in problems})
    if missing:
        raise DriftError(f"rollout_func got unknown prompt ids {missing[:3]}")
    return [problems[p] for p in prompts[::n]]


def make_rollout_func(problems: Sequence[Problem], protocol: ProtocolConfig, tokenizer,
                      engine_for: Callable, *, n: int, temperature: float, top_p: float, max_new_tokens: int,
                      seed: int, gamma: float, stats: RolloutStats) -> Callable:
    """TRL's `rollout_func(prompts, trainer) -> dict`. The dataset's `prompt` column holds prompt ids (the
    function gets only that column and needs each prompt's question and gold); `engine_for(trainer)` gives the
    engine of the current policy. Call c samples with base seed `seed * 100003 + c`, as the rollout stage
    seeds its shards, so each step draws fresh numbers and a rerun draws the same."""
    by_id = {p.prompt_id: p for p in problems}
    reward = make_reward_func(gamma, protocol.repeat_penalty_lambda)  # for the stats only: TRL calls its own

    def rollout_func(prompts: list[str], trainer) -> dict:
        t0 = time.perf_counter()
        episodes = run_episodes(engine_for(trainer), tokenizer, group_problems(prompts, n, by_id), protocol, n=n,
                                temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                                seed=seed * 100_003 + stats.calls)
        trajs = [token_trajectory(tokenizer, e) for e in episodes]
        stats.calls += 1
        stats.trajectories += len(trajs)
        stats.generated_tokens += sum(t.completion_tokens for e in episodes for t in e.turns)
        stats.trained_tokens += sum(t.model_tokens for t in trajs)
        stats.env_tokens += sum(len(t.env_mask) - t.model_tokens for t in trajs)
        stats.turns += sum(e.num_turns for e in episodes)
        stats.canonicalised_turns += sum(
            m["content"] != t.response
            for e in episodes for t, m in zip(e.turns, [m for m in e.messages if m["role"] == "assistant"],
                                              strict=True))
        stats.context_mismatches += sum(t.context_mismatches for t in trajs)
        fields = reward_fields(episodes)
        returns = reward(prompts, None, **fields)
        stats.mean_return = sum(returns) / len(returns)
        stats.solved = sum(e.t_star is not None for e in episodes) / len(episodes)
        stats.seconds += time.perf_counter() - t0
        return {
            "prompt_ids": [t.prompt_ids for t in trajs],
            "completion_ids": [t.completion_ids for t in trajs],
            "logprobs": None,  # TRL computes the log-probs itself: generation and loss use the same model
            "env_mask": [t.env_mask for t in trajs],  # TRL: tool_mask, multiplied into the loss mask
            **fields,  # reach the reward function as keyword arguments
        }

    return rollout_func
