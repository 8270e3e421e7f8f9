"""The episode protocol (docs/design.md §1): every string and number of a multi-turn correction episode."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator

from drift_core.config.base import StageConfig
from drift_core.verifiers import MATH_VERIFY, VERIFIERS

PromptMode = Literal["simple", "full"]

# The placeholders a full-mode template may use (str.format fields); anything else is a config error.
TURN_HEADER_FIELDS = frozenset({"turn", "state", "actions_left", "format_hint", "max_response_length"})
FEEDBACK_HEADER_FIELDS = frozenset({"reward"})


class ProtocolConfig(StageConfig):
    """How a multi-turn correction episode is worded, parsed and scored (shared by rollout and eval)."""

    system_message: str = Field("You're a helpful assistant. ", description="System message that opens every episode.")
    instruction: str = Field(
        "You are solving Math problems. Only give the final answer between <answer> and </answer>.",
        description="Task instruction placed before the problem in the first user message.",
    )
    think: bool = Field(
        False,
        description="Require `<think>...</think><answer>...</answer>` instead of `<answer>...</answer>`.",
    )
    prefill: bool = Field(
        True,
        description="Start each assistant turn with `<answer>` (or `<think>` with think) as the reference does.",
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
    prompt_mode: PromptMode = Field(
        "simple",
        description="User messages of the rollout (the evaluation's is eval.prompt_mode): 'simple' = instruction, "
        "problem and format once, then only feedback_incorrect; 'full' = every user message ends with "
        "turn_header (turn, state, actions left, format, max response length) and every feedback starts with "
        "feedback_header. The reference's training rollouts use 'full'.",
    )
    turn_header: str = Field(
        "Turn {turn}:\nState:\n{state}\nYou have {actions_left} actions left. Always output: {format_hint} "
        "with no extra text. Strictly follow this format. Max response length: {max_response_length} words "
        "(tokens).\n",
        description="Full mode: the block closing every user message (the reference's text). Fields: {turn} "
        "(the turn about to be answered), {state} (the problem until a turn had a parsed answer, then "
        "feedback_incorrect), {actions_left} (max_turns minus the turns with a parsed answer), {format_hint}, "
        "{max_response_length}.",
    )
    feedback_header: str = Field(
        "Reward:\n{reward}\n",
        description="Full mode: the start of every feedback message, before turn_header (the reference's text); "
        "{reward} = the previous turn's reward as a float ('0.0').",
    )
    max_response_length: int = Field(
        400, ge=1,
        description="Full mode: the response length turn_header states (the reference's instruction_max_tokens, "
        "400 in its launch scripts). Only shown to the model; generation is capped by max_new_tokens.",
    )
    # Allowed values and help come from the verifier registry (drift_core/verifiers.py), so a registered
    # verifier is a valid value without touching this file.
    verifier: str = Field(
        MATH_VERIFY.name, description=f"How an answer is checked against the gold: {VERIFIERS.describe()}."
    )
    multi_answer: Literal["whole", "first"] = Field(
        "whole",
        description="Several answers in one `<answer>` joined by answer_separator: 'whole' = the whole text is the "
        "answer; 'first' = split on answer_separator, drop empty parts, keep the first (the reference, whose "
        "launch scripts allow one answer per turn); no non-empty part = unparseable.",
    )
    answer_separator: str = Field(
        "||", min_length=1, description="Separator of several answers in one turn (multi_answer: first)."
    )
    strip_special_tokens: bool = Field(
        False,
        description="Also remove the chat tokens `<|im_start|>` and `<|im_end|>` from the parsed answer (and the "
        "thoughts), as the reference does; the tags `<think>`, `</think>`, `<answer>`, `</answer>` are always "
        "removed.",
    )
    unanswered_message: Literal["raw", "tagged"] = Field(
        "raw",
        description="The assistant message stored for a turn whose tags are there but hold no answer (empty, "
        "whitespace, only answer_separator, only chat tokens): 'raw' = the response as generated (prefill "
        "included), as for any unparseable turn; 'tagged' = rebuilt from the tags as a parsed turn is, "
        "`<think>thoughts</think><answer>text</answer>` with the cleaned text between the answer tags (the "
        "reference). Scores and penalties are the same either way; the stored message is the later context and "
        "training text. Reference: tagged.",
    )

    @field_validator("verifier")
    @classmethod
    def _known_verifier(cls, v: str) -> str:
        return VERIFIERS.check(v)

    @field_validator("turn_header")
    @classmethod
    def _turn_fields(cls, v: str) -> str:
        return _check_template(v, TURN_HEADER_FIELDS)

    @field_validator("feedback_header")
    @classmethod
    def _feedback_fields(cls, v: str) -> str:
        return _check_template(v, FEEDBACK_HEADER_FIELDS)

    @property
    def format_hint(self) -> str:
        if self.think:
            return "<think> [Your thoughts] </think> <answer> [your answer] </answer>"
        return "<answer> [your answer] </answer>"

    def for_eval(self, prompt_mode: PromptMode) -> ProtocolConfig:
        """This protocol with the evaluation's prompt mode (eval.prompt_mode)."""
        if prompt_mode == self.prompt_mode:
            return self
        return type(self).model_validate({**self.model_dump(), "prompt_mode": prompt_mode})


def _check_template(template: str, allowed: frozenset[str]) -> str:
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"not a valid template: {exc}") from exc
    if unknown := sorted(used - allowed):
        raise ValueError(f"unknown fields {unknown}; allowed: {sorted(allowed)}")
    return template
