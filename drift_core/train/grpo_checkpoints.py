"""The online arm's token budget and its validation curve (docs/design.md §10, "The answer").

`BudgetCallback` is a TrainerCallback: after each optimizer step it stops the run once the policy has generated
`token_budget` tokens (max_steps stays TRL's cap; `stopped_by` says which ended it) and, at evenly spaced points
of the budget, scores the current policy greedily on validation problems through `run_episodes`, the episode
loop of the evaluation (drift_core/evaluate.py: its protocol for eval.prompt_mode, its sampling settings).
Each point keeps the generated tokens and the run's wall seconds so far; the seconds spent scoring are
measured apart and left out of both, so measuring the curve never counts as the arm's cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import torch
from transformers import TrainerCallback

from drift_core.config.eval import EvalConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import Episode
from drift_core.multiturn import Problem, run_episodes

TOKENS, STEPS = "token_budget", "max_steps"  # what ended a run (GrpoResult.stopped_by)


def multi_at_k(episodes: Sequence[Episode], max_turns: int) -> dict[str, float]:
    """Share of problems solved within k turns, k = 1..max_turns: sql/eval_metrics.sql's multi@k (t_star <= k
    over every problem), one episode per problem."""
    n = max(len(episodes), 1)
    return {f"multi@{k}": sum(e.t_star is not None and e.t_star <= k for e in episodes) / n
            for k in range(1, max_turns + 1)}


def score_policy(engine, tokenizer, problems: Sequence[Problem], protocol: ProtocolConfig,
                 cfg: EvalConfig) -> dict[str, float]:
    """multi@1..K of `engine`'s policy on `problems`, run as drift_core.evaluate.evaluate runs them (one episode
    per problem, the eval section's decoding; greedy at its default temperature 0)."""
    protocol = protocol.for_eval(cfg.prompt_mode)
    episodes = run_episodes(engine, tokenizer, problems, protocol, n=1, temperature=cfg.temperature, top_p=cfg.top_p,
                            max_new_tokens=cfg.max_new_tokens, seed=cfg.seed, seed_scheme=cfg.seed_scheme)
    return multi_at_k(episodes, protocol.max_turns)


def thresholds(checkpoints: int, total: float) -> list[float]:
    """The points of a run of `total` (tokens or steps) where a checkpoint falls: every total/checkpoints."""
    return [total * i / checkpoints for i in range(1, checkpoints + 1)]


class BudgetCallback(TrainerCallback):
    """Stops at the token budget and records the validation curve (module docstring).

    `tokens()` gives the tokens the policy has generated so far (the rollout stats); `score()` the current
    policy's figures (None: no curve). Checkpoints fall on tokens when there is a budget, else on steps."""

    def __init__(self, tokens: Callable[[], int], *, token_budget: int | None, max_steps: int, checkpoints: int,
                 score: Callable[[], dict[str, float]] | None):
        self.tokens, self.token_budget, self.score = tokens, token_budget, score
        self.points = thresholds(checkpoints, token_budget or max_steps) if score and checkpoints else []
        self.curve: list[dict] = []
        self.stopped_by = STEPS
        self.checkpoint_seconds = 0.0
        self.t0 = time.perf_counter()

    def _record(self, step: int) -> None:
        t = time.perf_counter()
        with torch.random.fork_rng(devices=[]):  # scoring must not move the training's random numbers
            figures = self.score()
        self.curve.append({"step": step, "generated_tokens": self.tokens(),
                           "seconds": t - self.t0 - self.checkpoint_seconds, **figures})
        self.checkpoint_seconds += time.perf_counter() - t

    def on_train_begin(self, args, state, control, **kwargs):
        self.t0 = time.perf_counter()
        if self.points:  # the policy before any step: the reference, on the same problems
            self._record(0)

    def on_step_end(self, args, state, control, **kwargs):
        done = self.tokens()
        if self.token_budget is not None and done >= self.token_budget:
            self.stopped_by = TOKENS
            control.should_training_stop = True
        at = done if self.token_budget is not None else state.global_step
        crossed = [p for p in self.points if at >= p]
        if crossed:
            self.points = [p for p in self.points if at < p]
            self._record(state.global_step)
        return control

    def on_train_end(self, args, state, control, **kwargs):
        # stopped by the step cap before the last point: the final policy closes the curve
        if self.score and self.curve and self.curve[-1]["step"] != state.global_step:
            self._record(state.global_step)
