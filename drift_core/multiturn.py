"""The batched multi-turn loop shared by rollout and evaluation.

Turn 1 renders each prompt once and asks the engine for n samples; every later turn sends all
still-active trajectories of the batch in ONE generate call with n=1 (docs/design.md §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drift_core.chat import render
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.sampling import SeedScheme
from drift_core.engines.base import Engine, Sampling
from drift_core.episode import Episode, prefill_text
from drift_core.progress import bar as progress_bar


def turn_seed(seed: int, turn: int, scheme: SeedScheme = "per_turn") -> int:
    """Seed of turn `turn`'s generate call: 'per_turn' = seed at turn 1, seed + 1000 * turn after it
    (each turn draws fresh numbers); 'fixed' = `seed` on every call (the reference's scheme)."""
    if scheme not in ("per_turn", "fixed"):
        raise ValueError(f"unknown seed scheme {scheme!r}; expected 'per_turn' or 'fixed'")
    return seed if scheme == "fixed" or turn == 1 else seed + 1000 * turn


@dataclass(frozen=True)
class Problem:
    prompt_id: str
    question: str
    gold: str


class TokenRate:
    """Progress over trajectories finished, with generated tokens per second (drawn by drift_core.progress)."""

    def __init__(self, total: int, desc: str, enabled: bool = True):
        self.bar = progress_bar(total, desc, unit="traj", enabled=enabled)

    def add(self, finished: int, tokens: int) -> None:
        self.bar.update(finished, tokens=tokens)

    def close(self) -> None:
        self.bar.close()


def run_episodes(
    engine: Engine,
    tokenizer,
    problems: Sequence[Problem],
    protocol: ProtocolConfig,
    *,
    n: int,
    temperature: float,
    top_p: float,
    max_new_tokens: int,
    seed: int,
    seed_scheme: SeedScheme = "per_turn",
    progress: TokenRate | None = None,
) -> list[Episode]:
    """Run n episodes per problem to completion; returns them ordered by (problem, sample_idx).

    Turn t's generate call gets `turn_seed(seed, t, seed_scheme)`."""
    prefill = prefill_text(protocol)
    episodes = [
        Episode(prompt_id=p.prompt_id, sample_idx=s, question=p.question, gold=p.gold, protocol=protocol)
        for p in problems
        for s in range(n)
    ]
    # Turn 1: one rendered prompt per problem, n samples each (prefix shared across samples).
    first = [render(tokenizer, episodes[i * n].messages, prefill) for i in range(len(problems))]
    sampling = Sampling(n, temperature, top_p, max_new_tokens, turn_seed(seed, 1, seed_scheme))
    outs = engine.generate(first, sampling)
    _apply([e for e in episodes], [c for group in outs for c in group], progress)
    for t in range(2, protocol.max_turns + 1):
        active = [e for e in episodes if not e.done]
        if not active:
            break
        texts = [render(tokenizer, e.messages, prefill) for e in active]
        sampling = Sampling(1, temperature, top_p, max_new_tokens, turn_seed(seed, t, seed_scheme))
        outs = engine.generate(texts, sampling)
        _apply(active, [group[0] for group in outs], progress)
    return episodes


def _apply(episodes: list[Episode], completions, progress: TokenRate | None) -> None:
    finished = tokens = 0
    for ep, comp in zip(episodes, completions, strict=True):
        ep.step(comp.text, comp.num_tokens)
        tokens += comp.num_tokens
        finished += ep.done
    if progress is not None:
        progress.add(finished, tokens)
