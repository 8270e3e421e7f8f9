"""Multiple-choice arithmetic items: an arithmetic problem with four labelled options, one of them right.

The distractors are the slips the arithmetic world makes (drift_core.prompts.arithmetic): the dropped
carry or borrow, the dropped sign, near misses. The question renders the options as the named
multiple-choice benchmarks do ('A. 42' per line, drift_core.prompts.benchmarks.render_choices) and the
gold is the letter, so the `choice` verifier (drift_core.answers) accepts the letter or the option's value.
"""

from __future__ import annotations

from drift_core.prompts import arithmetic
from drift_core.prompts.benchmarks import MC_INSTRUCTION, render_choices

LETTERS = "ABCD"
# The named multiple-choice sets' instruction (GPQA, MMLU-Redux), for four options.
INSTRUCTION = MC_INSTRUCTION.format(letters="A-D")
KINDS = ("plain", "carry", "stuck")  # see kind()


def kind(problem: dict) -> str:
    """'stuck': a negative result (the sign is the slip); 'carry': a ones-column carry or borrow; else 'plain'."""
    if arithmetic.dropped_sign(problem) is not None:
        return "stuck"
    if arithmetic.dropped_carry(problem) is not None:
        return "carry"
    return "plain"


def distractors(problem: dict) -> list[int]:
    """Three distinct wrong values, most plausible first: the problem's slip, then near misses.

    stuck (7 - 45 = -38): all positive, the sign dropped: 38, 39, 48;
    carry (47 + 5 = 52): the dropped carry 42 (a dropped borrow: + 10), then 53, 51;
    plain (41 + 3 = 44): the near misses 43, 45, 54.
    Fixed offsets, so that the options follow from the question (see make_item).
    """
    value = int(problem["gold"])
    k = kind(problem)
    if k == "stuck":
        slip = arithmetic.dropped_sign(problem)
        return [slip, slip + 1, slip + 10]
    if k == "carry":
        return [arithmetic.dropped_carry(problem), value + 1, value - 1]
    return [value - 1, value + 1, value + 10]


def make_item(problem: dict) -> dict:
    """`problem` (arithmetic.make_problem) as a four-option item, options in ascending order.

    Ascending order, as numeric options usually are, with distractors at fixed offsets: the right letter
    then follows from the kind of problem (plain B; carry C for a sum, B for a difference; stuck A), so the
    reference needs the arithmetic that tells the kinds apart, not a look-up of the right value among the
    options, which a sub-million-parameter model did not learn in the build's budget (docs/tiny-world.md).
    Keys: prompt_id ('choice-47+5'), question (problem and options), gold (the letter), difficulty (the
    arithmetic level), kind, value (the right value), options (values in letter order), distractor_letters
    (the wrong options' letters, most plausible first).
    """
    wrong = distractors(problem)
    value = int(problem["gold"])
    options = sorted([value, *wrong])  # options[j] is the value behind LETTERS[j]
    letter = {v: LETTERS[j] for j, v in enumerate(options)}
    return {
        "prompt_id": "choice-" + problem["prompt_id"].removeprefix("arith-"),
        "question": render_choices(problem["question"], [str(v) for v in options]),
        "gold": letter[value],
        "difficulty": problem["difficulty"],
        "kind": kind(problem),
        "value": value,
        "options": options,
        "distractor_letters": [letter[v] for v in wrong],
    }
