"""What an arm cost, in the same units for every arm (docs/design.md §10, "Cost"): tokens generated and
trained on, wall seconds of generation and of training, peak RSS.

An offline arm's generation is the rollout it reads (shared with the other arms that read it: each counts it
whole); iterative DRIFT adds every later round's rollout and training; the online arm's generation is its
own sampling inside training. Figures come from the stages' metrics (tasks/*.py), so a cached stage reports
what it cost when it ran.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 2**30


@dataclass(frozen=True)
class Cost:
    generated_tokens: int = 0
    trained_tokens: int = 0  # loss-bearing tokens
    generation_seconds: float = 0.0
    train_seconds: float = 0.0
    peak_rss_bytes: int = 0  # the highest of the arm's stages' peaks (0: no stage of its own, e.g. the reference)

    def __add__(self, other: Cost) -> Cost:
        """Two stretches of work one after the other: tokens and seconds add up, the peak is the higher."""
        return Cost(self.generated_tokens + other.generated_tokens, self.trained_tokens + other.trained_tokens,
                    self.generation_seconds + other.generation_seconds, self.train_seconds + other.train_seconds,
                    max(self.peak_rss_bytes, other.peak_rss_bytes))

    def record(self) -> dict[str, float | int | None]:
        """The record's cost fields (a compare record's `rollout_tokens` are its generated tokens)."""
        return {"rollout_tokens": self.generated_tokens, "trained_tokens": self.trained_tokens,
                "generation_seconds": self.generation_seconds, "train_seconds": self.train_seconds,
                "peak_rss_gib": self.peak_rss_bytes / GIB if self.peak_rss_bytes else None}


def of_rollout(metrics: dict, tokens: int) -> Cost:
    """A rollout stage's cost; `tokens` read from its turns (right even when it was resumed)."""
    return Cost(generated_tokens=int(tokens), generation_seconds=float(metrics.get("seconds", 0.0)),
                peak_rss_bytes=int(metrics.get("peak_rss_bytes", 0)))


def of_training(metrics: dict) -> Cost:
    """A weighted-SFT train stage's cost."""
    return Cost(trained_tokens=int(metrics.get("supervised_tokens", 0)),
                train_seconds=float(metrics.get("seconds", 0.0)), peak_rss_bytes=int(metrics.get("peak_rss_bytes", 0)))


def of_online(metrics: dict) -> Cost:
    """An online GRPO stage's cost: its sampling is generation, the rest of its wall time training, less the
    seconds spent scoring its validation checkpoints (a measurement, not part of the method)."""
    seconds, generating = float(metrics.get("seconds", 0.0)), float(metrics.get("generation_seconds", 0.0))
    scoring = float(metrics.get("checkpoint_seconds", 0.0))
    return Cost(generated_tokens=int(metrics.get("generated_tokens", 0)),
                trained_tokens=int(metrics.get("trained_tokens", 0)), generation_seconds=generating,
                train_seconds=max(seconds - generating - scoring, 0.0),
                peak_rss_bytes=int(metrics.get("peak_rss_bytes", 0)))
