"""Multiple-choice items: an arithmetic problem with four labelled options, one of them right ("known"
items, make_item), and hidden-option items whose right option nothing in the question tells (hidden_item).

The distractors are the slips the arithmetic world makes (drift_core.prompts.arithmetic): the dropped
carry or borrow, the dropped sign, near misses. The question renders the options as the named
multiple-choice benchmarks do ('A. 42' per line, drift_core.prompts.benchmarks.render_choices) and the
gold is the letter, so the `choice` verifier (drift_core.answers) accepts the letter or the option's value.

Hidden-option items ("Which box holds the coin? (item 0123)", four boxes) draw the right letter at random
per item: turn 1 is a guess, and only elimination after 'Incorrect' (never picking a rejected option
again) reaches the optimum (docs/tiny-world.md, "Hidden-option items").
"""

from __future__ import annotations

from drift_core.prompts import arithmetic
from drift_core.prompts.benchmarks import MC_INSTRUCTION, render_choices
from drift_core.verifiers import CHOICE

LETTERS = "ABCD"
# The named multiple-choice sets' instruction (GPQA, MMLU-Redux), for four options.
INSTRUCTION = MC_INSTRUCTION.format(letters="A-D")
# The verifier its items are scored with (the gold is a letter): protocol.verifier of the choice world.
VERIFIER = CHOICE.name
# The kinds of item: kind() tells the first three apart (known items); 'hidden' is a hidden-option item.
KINDS = ("plain", "carry", "stuck", "hidden")


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
    (the wrong options' letters, most plausible first), hidden_options (None: the right option follows from
    the question; hidden_item's items say 4).
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
        "hidden_options": None,
    }


# -- hidden-option items ---------------------------------------------------------------------------------
# "Which box holds the coin? (item 0123)": four options that read the same for every item, the right one
# drawn at random per item. No policy can infer it from the question (not from the id, not from the option
# text), so turn 1 is a guess (1 in 4) and what follows 'Incorrect' decides the score: a policy that never
# picks a rejected option again is right by turn 4 (the elimination optimum, min(1, k/4) within k turns).
HIDDEN_OPTIONS = 4
HIDDEN_OPTION_TEXTS = ("red", "blue", "green", "white")  # the boxes, the same in every item
HIDDEN_DIGITS = 4  # item numbers 0000..9999
HIDDEN_CAPACITY = 10**HIDDEN_DIGITS


def hidden_question(number: int) -> str:
    """The item's question without its options ('Which box holds the coin? (item 0123)')."""
    return f"Which box holds the coin? (item {number:0{HIDDEN_DIGITS}d})"


def hidden_item(number: int, rng) -> dict:
    """Hidden-option item `number`; `rng` (random.Random) draws its right letter, uniformly, and the order of
    its distractor letters. Keys as make_item's (value: the right option's text; difficulty None; kind
    'hidden') plus hidden_options (4). The id is 'choice-box-0123', never an arithmetic one."""
    if not 0 <= number < HIDDEN_CAPACITY:
        raise ValueError(f"hidden item number {number} out of range 0..{HIDDEN_CAPACITY - 1}")
    options = list(HIDDEN_OPTION_TEXTS)
    gold = LETTERS[rng.randrange(HIDDEN_OPTIONS)]
    wrong = [x for x in LETTERS if x != gold]
    rng.shuffle(wrong)
    return {
        "prompt_id": f"choice-box-{number:0{HIDDEN_DIGITS}d}",
        "question": render_choices(hidden_question(number), options),
        "gold": gold,
        "difficulty": None,
        "kind": "hidden",
        "value": options[LETTERS.index(gold)],
        "options": options,
        "distractor_letters": wrong,
        "hidden_options": HIDDEN_OPTIONS,
    }


def hidden_items(seed: int) -> list[dict]:
    """Every hidden-option item (HIDDEN_CAPACITY of them) in a seeded random order.

    One RNG, seeded by `seed` alone, shuffles the item numbers and then draws each item's right letter in
    that order: the letter is neither a function of the item's number nor of its text. Callers take
    disjoint slices of this list (the prompt splits first, pre-training the rest), so an item is in one
    place only; same seed, same items."""
    import random

    rng = random.Random(f"drift-choice-hidden:{seed}")
    numbers = rng.sample(range(HIDDEN_CAPACITY), HIDDEN_CAPACITY)
    return [hidden_item(n, rng) for n in numbers]
