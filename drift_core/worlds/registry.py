"""The tiny-world registry: every self-built world's names, preset, protocol, items, dialogues and card text.

A world is one entry (`WORLDS.register(WorldEntry(...))`, from any module, a test's included); the config's
allowed values (tiny_world.task, prompts.source's world names), its errors, `drift tiny-world --task`'s and
`drift compare --world`'s help are read from here (drift_core/extensions.py), and the world-generic
machinery (drift_core/tiny_world: splits, tokenizer, pre-training, card) asks the entry for everything
that differs between worlds (docs/tiny-world.md). Nothing else compares world names.

No import of drift_core.tiny_world or drift_core.prompts here: the configs import this module, and both
of those import the configs. An entry's functions import what they need when called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_core.errors import DriftError
from drift_core.extensions import Registry


@dataclass(frozen=True)
class HiddenItems:
    """A world's hidden-option items (docs/tiny-world.md): items whose right option nothing in the question
    tells, mixed into its prompt splits (tiny_world.hidden_share) and pre-training (hidden_pretrain_share).
    The entry's `synth` must write their dialogues too. A world without them refuses both shares."""

    items: Callable[[int], list[dict]]  # seed -> every item, in a seeded order (splits first, pre-training the rest)
    pieces: tuple[str, ...] = ()  # tokenizer pieces of their fixed text, added when pre-training uses them
    what: str = ""  # the card's description of the world when its splits hold them ('multiple-choice (...)')
    card_text: str = ""  # appended to the model card's paragraph when the test split holds them


@dataclass(frozen=True)
class WorldEntry:
    name: str  # tiny_world.task, `drift tiny-world --task`, `drift compare --world`; its shipped copy: worlds/<name>
    help: str  # one line: what the world asks (config field help, CLI help)
    source: str  # its prompt source and model name: prompts.source, `--prompts NAME[:split]`, rollout.model
    dir_name: str  # its directory in the workspace (<workspace>/<dir_name>)
    # An arithmetic problem (drift_core.prompts.arithmetic.make_problem) -> a prompt split row: prompt_id
    # ('<prefix>-<problem>', see drift_core.tiny_world.problem_id), question, gold, difficulty, hidden_options
    # (None) and whatever the world's synth reads (the card groups rows by 'kind', else by difficulty).
    make_item: Callable[[dict], dict]
    # (problem, rng, cfg, clean) -> a pre-training Dialogue (drift_core.tiny_world.dialogues); `problem` is an
    # arithmetic problem or one of its items (make_item's, a hidden item).
    synth: Callable[..., Any]
    # ProtocolConfig fields its dialogues are written in and its prompt set runs under: instruction and
    # verifier (a name of drift_core/verifiers.py's registry); {}: the default protocol.
    protocol: Callable[[], dict[str, str]]
    group_labels: Callable[[], dict[str, str]]  # the card's groups (kind or level -> what it is), in table order
    what: str  # the card's description: 'DRIFT's self-built, deliberately imperfect <what> reference policy'
    card_text: str  # the model card's paragraph on what the model answers and how it is wrong
    card_tag: str  # the model card's tag
    group_word: str = "level"  # the model card's name of a group ('level', 'kind')
    preset: Mapping[str, Any] = field(default_factory=dict)  # TinyWorldConfig fields for_size sets (before the size's)
    pieces: tuple[str, ...] = ()  # extra single tokens of its questions (the choice world's option labels)
    hidden: HiddenItems | None = None
    compare_output: str | None = None  # `drift compare --world NAME`'s table, when not compare.output's default


WORLDS: Registry[WorldEntry] = Registry("tiny world")


def world_of_source(source: str) -> WorldEntry:
    """The world a prompt source or model name means ('tiny-world-choice' -> choice); an error otherwise."""
    for entry in WORLDS:
        if entry.source == source:
            return entry
    raise DriftError(f"'{source}' names no tiny world (choose one of {', '.join(source_names())})")


def source_names() -> list[str]:
    """Every world's prompt source (and model) name, in registration order."""
    return [entry.source for entry in WORLDS]


def is_world_source(name: object) -> bool:
    return name in source_names()


def hidden_worlds() -> list[str]:
    """The worlds with hidden-option items (the ones hidden_share may be above 0 in)."""
    return [entry.name for entry in WORLDS if entry.hidden is not None]


def plain_item(problem: dict) -> dict:
    """An arithmetic problem as a split row unchanged (the arithmetic world's make_item)."""
    return {**problem, "hidden_options": None}
