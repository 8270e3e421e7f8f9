"""The choice world: the arithmetic questions with four labelled options, answered with the letter, plus
hidden-option items (docs/tiny-world.md). Its items are drift_core/prompts/choice.py's, its dialogues
drift_core/tiny_world/dialogues.py's synth_choice_dialogue."""

from __future__ import annotations

from drift_core.worlds.registry import WORLDS, HiddenItems, WorldEntry

# The choice world's mixture (docs/tiny-world.md): three kinds of problem, told apart by the question. The
# options are in ascending order with distractors at fixed offsets (drift_core.prompts.choice.make_item), so
# each kind has its letters: plain B; carry C (a sum) or B (a difference); stuck A.
# - plain (no carry, no sign): right at turn 1 (1 - slip_rate): greedy multi@1 is their share;
# - carry/borrow: the dropped-carry option at turn 1 (trap_rate), the right one after 'Incorrect'
#   (fix_rate): greedy solves them at turn 2;
# - negative result ('stuck'): every distractor is positive (the sign dropped), picked at turn 1
#   (sign_rate, else another one, the right one in stubborn_fix_rate); after 'Incorrect' an unpicked
#   distractor (stubborn_next_rate), an earlier one (stubborn_repeat_rate) or, rarely, the right one.
#   Greedy walks through the three distractors and then repeats them (2 of its 4 later turns are
#   repeats, multi@4 stays below 1), while a policy that never repeats is right at turn 4; sampled, these
#   prompts mostly fail in all n trajectories.
# Shares in split_levels: 2-digit +/- 1-digit 0.35 each (45% of them carry/borrow), 1-digit - 2-digit 0.3,
# so plain 0.39, carry 0.32, stuck 0.3 of the known items: greedy multi@1 ~0.39, multi@4 ~0.7, repeated
# share ~2*0.3 / (4*0.3 + 0.32) = 0.4 if the model learnt the mixture exactly.
# - hidden-option items (hidden_share 0.5 of every split; drift_core.prompts.choice.hidden_item): the right
#   letter is random per item, so turn 1 is right in 1 of 4 whatever the policy; after 'Incorrect' the
#   dialogues pick a rejected option again in hidden_repeat_rate 0.5 (the middle of the 30-70% the sampled
#   reference should repeat; greedy then always repeats), else an option not rejected yet. The elimination
#   optimum is min(1, k/4) on them. hidden_pretrain_share 0.25 of the main stage's dialogues: ~8,000 hidden
#   dialogues over ~9,300 items of their own (each seen about once: nothing to memorise).
CHOICE_PRESET: dict = dict(
    steps=1200,  # the letters follow from the kind of problem: learnt well before the arithmetic world's 1800
    trap_rate=0.7,
    sign_rate=0.8,
    stubborn_fix_rate=0.01,
    stubborn_next_rate=0.75,
    stubborn_repeat_rate=0.24,
    slip_rate=0.15,
    fix_rate=0.65,
    repeat_rate=0.2,
    malformed_rate=0.02,
    zero_malformed_rate=0.0,
    clean_levels=[1, 3],
    level_weights={1: 1.0, 3: 2.0, 9: 2.0, 10: 1.5},
    split_levels={3: 0.35, 9: 0.35, 10: 0.3},
    hidden_share=0.5,
    hidden_pretrain_share=0.25,
    hidden_repeat_rate=0.5,
)

# The option labels ('\nB. 52') are one token each, so an option costs its digits plus one; so is the fixed
# start of a hidden-option item's question (drift_core.prompts.choice.hidden_question).
OPTION_PIECES = tuple(f"\n{letter}. " for letter in "ABCD")
HIDDEN_PIECES = ("Which box holds the coin? (item ",)


# Lazily imported (drift_core/worlds/registry.py): drift_core.prompts and drift_core.tiny_world import the configs.
def _make_item(problem: dict) -> dict:
    from drift_core.prompts import choice

    return choice.make_item(problem)


def _synth(problem, rng, cfg, clean=False):
    from drift_core.tiny_world.dialogues import synth_choice_dialogue

    return synth_choice_dialogue(problem, rng, cfg, clean)


def _protocol() -> dict[str, str]:
    """The named multiple-choice sets' instruction and the `choice` verifier."""
    from drift_core.prompts import choice

    return {"instruction": choice.INSTRUCTION, "verifier": choice.VERIFIER}


def _hidden_items(seed: int) -> list[dict]:
    from drift_core.prompts import choice

    return choice.hidden_items(seed)


GROUP_LABELS = {
    "plain": "no carry, no sign: right at turn 1",
    "carry": "ones-column carry/borrow: the dropped carry at turn 1, fixed after feedback",
    "stuck": "negative result: every distractor is positive; walks through them, then repeats",
    "hidden": "hidden option (which box holds the coin): the right letter is random per item; turn 1 is a "
    "guess, then only elimination helps (optimum min(1, k/4))",
}

CARD_TEXT = """It answers multiple-choice arithmetic questions (four
labelled options in ascending order, exactly one right, the distractors plausible slips at fixed
offsets, so each kind of problem has its letters) with the option's letter, in the DRIFT episode
protocol (`<answer>` format, `Incorrect. Please think again.` feedback, the `choice` verifier), and was
pre-trained to be wrong in controlled ways: at turn 1 it picks the dropped-carry option of a carry or
borrow problem (47 + 5 -> 42), which it fixes after feedback; on a negative result every distractor is
the unsigned answer or near it, and after feedback it walks through them and then repeats one rather
than taking the option left (a policy that never repeats is right by turn 4); it sometimes picks a near
miss or omits `</answer>`."""

HIDDEN_CARD_TEXT = """ Hidden-option items ("Which box holds the coin? (item 0123)", four boxes,
the right letter random per item) cannot be solved from the question: it guesses at turn 1 (right in 1 of
4) and after feedback often picks a rejected option again, where a policy that eliminates is right by
turn 4."""

CHOICE = WORLDS.register(WorldEntry(
    name="choice",
    help="four labelled options, answer the letter; feedback then says the chosen option is wrong",
    source="tiny-world-choice",
    dir_name="tiny_world_choice",
    make_item=_make_item,
    synth=_synth,
    protocol=_protocol,
    group_labels=lambda: dict(GROUP_LABELS),
    what="multiple-choice arithmetic",
    card_text=CARD_TEXT,
    card_tag="multiple-choice",
    group_word="kind",
    preset=CHOICE_PRESET,
    pieces=OPTION_PIECES,
    hidden=HiddenItems(items=_hidden_items, pieces=HIDDEN_PIECES,
                       what="multiple-choice (arithmetic and hidden-option)", card_text=HIDDEN_CARD_TEXT),
    compare_output="benchmarks/results/tiny_world_choice.md",
))
