"""One multi-turn correction episode (docs/design.md §1): messages, parsing, rewards, penalties.

Pure state, no model: the batched loop in `drift_core.multiturn` drives many of these at once.
`messages` is exactly what the model saw (prefill aside), so training on the stored trajectories
trains on the contexts of the prompt mode they were sampled with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drift_core.answers import canonical_response, extract_think, normalize_answer, parse_answer, tagged_parts
from drift_core.config.protocol import ProtocolConfig
from drift_core.verifiers import is_correct


def turn_header(protocol: ProtocolConfig, turn: int, state: str, actions_left: int) -> str:
    """Full mode: the block that closes the user message before assistant turn `turn`."""
    return protocol.turn_header.format(
        turn=turn,
        state=state,
        actions_left=actions_left,
        format_hint=protocol.format_hint,
        max_response_length=protocol.max_response_length,
    )


def initial_messages(question: str, protocol: ProtocolConfig) -> list[dict[str, str]]:
    """System + user message with instruction, problem and required format.

    'simple' mode: instruction, 'Problem:', the problem and the format line. 'full' mode (the reference's
    training rollouts): instruction, then the turn-1 header (state = the problem, max_turns actions left).
    """
    if protocol.prompt_mode == "full":
        user = f"{protocol.instruction}\n" + turn_header(protocol, 1, question, protocol.max_turns)
    else:
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
        answer, shown = parse_answer(
            response,
            think=p.think,
            multi_answer=p.multi_answer,
            separator=p.answer_separator,
            strip_special_tokens=p.strip_special_tokens,
        )
        t = self.num_turns + 1
        if answer is None:
            # Reference: no parseable answer -> format penalty, the turn still counts. The message is the raw
            # text, or (unanswered_message 'tagged', the reference) rebuilt from tags holding no answer.
            correct, penalty, content, norm = False, p.format_penalty, self.unanswered(response), ""
        else:
            correct = is_correct(answer, self.gold, p.verifier, self.question)
            penalty = 0.0
            thought = extract_think(response, p.strip_special_tokens) if p.think else ""
            content = canonical_response(shown, p.think, thought)
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
            self.messages.append({"role": "user", "content": self.feedback(turn)})
        return turn

    def unanswered(self, response: str) -> str:
        """The stored message of a turn without an answer: the raw response, unless the protocol rebuilds it
        from tags that are there but empty (docs/reference-parity.md: the reference keeps only tagged parts)."""
        p = self.protocol
        parts = tagged_parts(response, p.think, p.strip_special_tokens) if p.unanswered_message == "tagged" else None
        if parts is None:
            return response
        thought, text = parts
        return canonical_response(text, p.think, thought)

    def feedback(self, last: Turn) -> str:
        """The user message after the wrong or unparseable turn `last`.

        Full mode, as the reference's environment: the state stays the problem until a turn had a parsed
        answer (an unparseable turn does not step it), then it is feedback_incorrect; actions left count
        the turns with a parsed answer."""
        p = self.protocol
        if p.prompt_mode == "simple":
            return p.feedback_incorrect
        state = p.feedback_incorrect if self.answer_norms else self.question
        left = max(p.max_turns - len(self.answer_norms), 0)
        return p.feedback_header.format(reward=float(last.reward)) + turn_header(p, last.turn + 1, state, left)
