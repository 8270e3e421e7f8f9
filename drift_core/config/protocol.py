"""The episode protocol (docs/design.md §1): every string and number of a multi-turn correction episode."""

from __future__ import annotations

from pydantic import Field

from drift_core.config.base import StageConfig


class ProtocolConfig(StageConfig):
    """How a multi-turn correction episode is worded, parsed and scored (shared by rollout and eval)."""

    system_message: str = Field("You're a helpful assistant. ", description="System message that opens every episode.")
    instruction: str = Field(
        "You are solving Math problems. Only give the final answer between <answer> and </answer>.",
        description="Task instruction placed before the problem in the first user message.",
    )
    think: bool = Field(
        False,
        description="Require '<think>...</think><answer>...</answer>' instead of '<answer>...</answer>'.",
    )
    prefill: bool = Field(
        True,
        description="Start each assistant turn with '<answer>' (or '<think>' with think) as the reference does.",
    )
    feedback_incorrect: str = Field(
        "Incorrect. Please think again.", description="User message after a wrong or unparseable answer."
    )
    feedback_correct: str = Field("Correct!", description="Observation recorded when an answer is correct.")
    max_turns: int = Field(5, ge=1, description="Maximum assistant turns per episode (K).")
    format_penalty: float = Field(
        -0.1, le=0.0, description="Added to the trajectory's format_penalty for each turn with no parseable answer."
    )
    repeat_penalty_lambda: float = Field(
        0.5, ge=0.0, description="Scale of the repetition penalty (1 - distinct/len of answer_norms)."
    )

    @property
    def format_hint(self) -> str:
        if self.think:
            return "<think> [Your thoughts] </think> <answer> [your answer] </answer>"
        return "<answer> [your answer] </answer>"
