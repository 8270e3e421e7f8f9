"""One multi-turn correction episode (docs/design.md §1): messages, parsing, rewards, penalties.

Pure state, no model: the batched loop in `drift_core.multiturn` drives many of these at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drift_core.answers import canonical_response, extract_answer, extract_think, is_correct, normalize_answer
from drift_core.config.protocol import ProtocolConfig


def initial_messages(question: str, protocol: ProtocolConfig) -> list[dict[str, str]]:
    """System + user message with instruction, problem and required format (the reference's 'simple' mode)."""
    user = (
        f"{protocol.instruction}\n\nProblem:\n{question}\n\n"
        f"Always output: {protocol.format_hint} with no extra text. Strictly follow this format."
    )
    return [{"role": "system", "content": protocol.system_message}, {"role": "user", "content": user}]


def prefill_text(protocol: ProtocolConfig) -> str:
    """Text appended after the generation prompt, so the model continues inside the tag."""
    if not protocol.prefill:
        return ""
    return "<think>" if protocol.think else "<answer>"


@dataclass
class Turn:
    turn: int  # 1-based
    response: str  # raw generated text, prefill included
    answer: str | None  # parsed answer, None when unparseable
    answer_norm: str
    correct: bool
    reward: float  # r_t: 1.0 if correct else 0.0
    format_ok: bool
    format_penalty: float  # this turn's share of the trajectory's format_penalty (<= 0)
    completion_tokens: int


@dataclass
class Episode:
    prompt_id: str
    sample_idx: int
    question: str
    gold: str
    protocol: ProtocolConfig
    messages: list[dict[str, str]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    answer_norms: list[str] = field(default_factory=list)
    format_penalty: float = 0.0
    t_star: int | None = None
    done: bool = False

    def __post_init__(self) -> None:
        if not self.messages:
            self.messages = initial_messages(self.question, self.protocol)

    @property
    def num_turns(self) -> int:
        return len(self.turns)

    def step(self, generated: str, completion_tokens: int) -> Turn:
        """Score one assistant turn and append the assistant (and feedback) messages."""
        if self.done:
            raise RuntimeError(f"episode {self.prompt_id}/{self.sample_idx} is already finished")
        p = self.protocol
        response = prefill_text(p) + generated
        answer = extract_answer(response, think=p.think)
        t = self.num_turns + 1
        if answer is None:
            # Reference: no parseable answer -> format penalty, raw text kept, the turn still counts.
            correct, penalty, content, norm = False, p.format_penalty, response, ""
        else:
            correct = is_correct(answer, self.gold)
            penalty = 0.0
            content = canonical_response(answer, p.think, extract_think(response) if p.think else "")
            norm = normalize_answer(answer)
            self.answer_norms.append(norm)
        self.format_penalty += penalty
        turn = Turn(
            turn=t,
            response=response,
            answer=answer,
            answer_norm=norm,
            correct=correct,
            reward=1.0 if correct else 0.0,
            format_ok=answer is not None,
            format_penalty=penalty,
            completion_tokens=completion_tokens,
        )
        self.turns.append(turn)
        self.messages.append({"role": "assistant", "content": content})
        if correct:
            self.t_star = t
            self.done = True
        elif t >= p.max_turns:
            self.done = True
        else:
            self.messages.append({"role": "user", "content": p.feedback_incorrect})
        return turn
