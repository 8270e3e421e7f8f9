"""Synthetic pre-training dialogues in exactly the episode protocol's format, imperfect on purpose.

A dialogue is what a rollout of the reference would record: the protocol's system + user messages, then
assistant turns (the text generated after the '<answer>' prefill) separated by the protocol's
'Incorrect' feedback, ending at the first correct answer or after `max_turns`. The mixture
(TinyWorldConfig) decides the imperfection:
- turn 1 on a carry/borrow problem drops the carry with `trap_rate` (> 0.5: the greedy answer is
  wrong in a systematic way that the next turn fixes, so greedy multi@5 - multi@1 is large);
- turn 1 on a subtraction with a negative result drops the sign with `sign_rate`, and after feedback
  such dialogues are stubborn: they repeat it with `stubborn_repeat_rate` and fix it only with
  `stubborn_fix_rate` (greedy repeats to the end; sampling sometimes escapes);
- other turn-1 answers slip to a near miss with `slip_rate`;
- after feedback: correct with `fix_rate`, the last wrong answer again with `repeat_rate`, else a new slip;
- `malformed_rate` of responses (and `zero_malformed_rate` of turn-1 answers ending in 0) omit '</answer>'.

The choice world (`synth_choice_dialogue`) answers an option's letter; its mixture is in
drift_core.worlds.choice.CHOICE_PRESET, and an answer after 'Incorrect' is the right option, an earlier
one, or an unpicked wrong one. Its hidden-option items (`synth_hidden_dialogue`) have no right option to
learn: turn 1 is a uniform guess, and after 'Incorrect' a rejected option again (`hidden_repeat_rate`) or a
uniformly drawn one not rejected yet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.episode import initial_messages, prefill_text
from drift_core.prompts import choice
from drift_core.prompts.arithmetic import dropped_carry, dropped_sign, near_miss
from drift_core.worlds import WORLDS


@dataclass(frozen=True)
class Dialogue:
    question: str
    generated: tuple[str, ...]  # per assistant turn: text after the prefill ('<answer>', '<think>'), eos excluded

    def messages(self, protocol: ProtocolConfig | None = None) -> list[dict[str, str]]:
        """The episode's messages after the last turn (assistant content includes the prefill)."""
        p = protocol or ProtocolConfig()
        msgs = initial_messages(self.question, p)
        for t, gen in enumerate(self.generated):
            if t:
                msgs.append({"role": "user", "content": p.feedback_incorrect})
            msgs.append({"role": "assistant", "content": prefill_text(p) + gen})
        return msgs


def synth_dialogue(problem: dict, rng: random.Random, cfg: TinyWorldConfig, clean: bool = False) -> Dialogue:
    """One dialogue for `problem` (an arithmetic.make_problem dict); `clean`: one correct turn."""
    gold = int(problem["gold"])
    if clean:
        return Dialogue(problem["question"], (f"{gold}</answer>",))
    carry, sign = dropped_carry(problem), dropped_sign(problem)
    fix, repeat = (cfg.stubborn_fix_rate, cfg.stubborn_repeat_rate) if sign else (cfg.fix_rate, cfg.repeat_rate)
    wrong: list[int] = []  # wrong answers given so far, in order
    generated: list[str] = []
    for t in range(1, cfg.max_turns + 1):
        r = rng.random()
        if t == 1:
            if carry is not None and r < cfg.trap_rate:
                ans = carry
            elif sign is not None and r < cfg.sign_rate:
                ans = sign
            elif rng.random() < cfg.slip_rate:
                ans = near_miss(gold, rng)
            else:
                ans = gold
        elif r < fix:
            ans = gold
        elif r < fix + repeat:
            ans = wrong[-1]
        else:
            ans = near_miss(gold, rng, avoid=set(wrong))
        text = str(ans)
        malformed = rng.random() < cfg.malformed_rate or (
            t == 1 and text.endswith("0") and rng.random() < cfg.zero_malformed_rate
        )
        generated.append(text if malformed else text + "</answer>")
        if ans == gold and not malformed:
            break
        if ans != gold:
            wrong.append(ans)
        elif not wrong:
            wrong.append(ans)  # a malformed correct answer: 'repeating' it means writing it again
    return Dialogue(problem["question"], tuple(generated))


def world_protocol(task: str) -> ProtocolConfig:
    """The protocol a world's dialogues are written in: the default one with its entry's fields (choice: the
    named multiple-choice sets' instruction and the `choice` verifier; what PromptSet.protocol applies)."""
    return ProtocolConfig(**WORLDS.get(task).protocol())


def synth_for(cfg: TinyWorldConfig):
    """The world's dialogue maker (its entry's): (problem, rng, cfg, clean) -> Dialogue."""
    return WORLDS.get(cfg.task).synth


def synth_choice_dialogue(problem: dict, rng: random.Random, cfg: TinyWorldConfig, clean: bool = False) -> Dialogue:
    """One choice-world dialogue for `problem` (an arithmetic problem or its drift_core.prompts.choice item);
    `clean`: one correct turn. A hidden-option item gets synth_hidden_dialogue's (never clean)."""
    item = problem if "options" in problem else choice.make_item(problem)
    if item["kind"] == "hidden":
        return synth_hidden_dialogue(item, rng, cfg)
    gold, wrong = item["gold"], item["distractor_letters"]
    if clean:
        return Dialogue(item["question"], (f"{gold}</answer>",))
    stuck = item["kind"] == "stuck"
    picked: list[str] = []  # wrong options answered so far (parsed turns), in order
    generated: list[str] = []
    for _ in range(1, cfg.max_turns + 1):
        r = rng.random()
        unpicked = [x for x in wrong if x not in picked]
        if not picked:  # turn 1, or every earlier turn was malformed
            if item["kind"] == "carry" and r < cfg.trap_rate:
                ans = wrong[0]
            elif stuck:
                ans = wrong[0] if r < cfg.sign_rate else gold if r < cfg.sign_rate + cfg.stubborn_fix_rate \
                    else rng.choice(wrong[1:])
            elif rng.random() < cfg.slip_rate:
                ans = rng.choice(wrong)
            else:
                ans = gold
        elif stuck:
            if r < cfg.stubborn_fix_rate:
                ans = gold
            elif unpicked and r < cfg.stubborn_fix_rate + cfg.stubborn_next_rate:
                ans = rng.choice(unpicked)
            else:
                ans = rng.choice(sorted(set(picked)))
        elif r < cfg.fix_rate:
            ans = gold
        elif r < cfg.fix_rate + cfg.repeat_rate or not unpicked:
            ans = rng.choice(sorted(set(picked)))
        else:
            ans = rng.choice(unpicked)
        malformed = rng.random() < cfg.malformed_rate
        generated.append(ans if malformed else ans + "</answer>")
        if ans == gold and not malformed:
            break
        if ans != gold and not malformed:
            picked.append(ans)
    return Dialogue(item["question"], tuple(generated))


def synth_hidden_dialogue(item: dict, rng: random.Random, cfg: TinyWorldConfig) -> Dialogue:
    """One dialogue for a hidden-option item (drift_core.prompts.choice.hidden_item), whose right option
    nothing in the question tells.

    Turn 1 (or any turn before the first well-formed wrong answer) picks one of the item's options uniformly
    (right in 1 of 4). After 'Incorrect': with `hidden_repeat_rate` an option rejected earlier (uniformly among
    them), else one not rejected yet, uniformly, so the right one only by chance among those it picks. A
    rejected option is an earlier well-formed wrong answer; `malformed_rate` of responses omit '</answer>'.
    """
    letters = list(choice.LETTERS[: item["hidden_options"]])
    gold = item["gold"]
    rejected: list[str] = []  # distinct, in the order rejected
    generated: list[str] = []
    for _ in range(cfg.max_turns):
        if not rejected:
            ans = rng.choice(letters)
        elif rng.random() < cfg.hidden_repeat_rate:
            ans = rng.choice(rejected)
        else:
            ans = rng.choice([x for x in letters if x not in rejected])  # never empty: gold is never rejected
        malformed = rng.random() < cfg.malformed_rate
        generated.append(ans if malformed else ans + "</answer>")
        if ans == gold and not malformed:
            break
        if ans != gold and not malformed and ans not in rejected:
            rejected.append(ans)
    return Dialogue(item["question"], tuple(generated))
