"""Each trained arm's learning rate, chosen on the validation split (never on test): the grid's scores and the
pick (docs/compare.md, "Settings chosen on validation"). Its Markdown section is in markdown.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Selection:
    """One arm's learning rate, chosen on the validation split (never on test): the grid's scores and the pick."""

    arm: str
    metric: str
    scores: dict[float, float | None]  # lr -> validation figure (greedy), in grid order
    chosen: float
    validation_problems: int = 0

    def as_dict(self) -> dict:
        return {"arm": self.arm, "metric": self.metric, "chosen": self.chosen,
                "scores": {f"{lr:g}": v for lr, v in self.scores.items()},
                "validation_problems": self.validation_problems}


def choose(scores: dict[float, float | None]) -> float:
    """The learning rate with the best validation figure; a tie goes to the earlier grid value, a missing
    figure never wins (an arm whose every figure is missing keeps the first value)."""
    best, pick = None, next(iter(scores))
    for lr, value in scores.items():
        if value is not None and (best is None or value > best):
            best, pick = value, lr
    return pick
