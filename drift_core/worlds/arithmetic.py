"""The arithmetic world: integer questions answered with the number (docs/tiny-world.md); the default world.

Its mixture is TinyWorldConfig's field defaults (no preset)."""

from __future__ import annotations

from drift_core.worlds.registry import WORLDS, WorldEntry, plain_item


def _synth(problem, rng, cfg, clean=False):
    from drift_core.tiny_world.dialogues import synth_dialogue  # lazily: see drift_core/worlds/registry.py

    return synth_dialogue(problem, rng, cfg, clean)


def level_labels() -> dict[str, str]:
    """The arithmetic levels, as the card's groups."""
    from drift_core.prompts import arithmetic

    return {str(lv): arithmetic.describe(lv) for lv in sorted(arithmetic.LEVELS)}


CARD_TEXT = """It answers integer arithmetic questions
in the DRIFT episode protocol (`<answer>` format, `Incorrect. Please think again.` feedback) and was
pre-trained to be wrong in controlled ways: at turn 1 it drops the carry or borrow of the ones column
(47 + 5 -> 42), which it usually fixes after feedback; it drops the sign of a negative difference
(22 - 57 -> 35) and then tends to repeat that answer; it sometimes slips to a near miss, repeats a wrong
answer, or omits `</answer>` (mostly on turn-1 answers ending in 0)."""

ARITHMETIC = WORLDS.register(WorldEntry(
    name="arithmetic",
    help="answer the number",
    source="tiny-world",
    dir_name="tiny_world",
    make_item=plain_item,
    synth=_synth,
    protocol=dict,  # the default protocol
    group_labels=level_labels,
    what="arithmetic",
    card_text=CARD_TEXT,
    card_tag="arithmetic",
))
