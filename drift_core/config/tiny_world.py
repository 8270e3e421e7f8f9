"""How the tiny world is built: model size, pre-training schedule, data mixture, prompt splits, card.

The worlds share the machinery (docs/tiny-world.md) and are entries of one registry (drift_core/worlds):
`arithmetic` (answer the number) and `choice` (the same questions with four labelled options; answer the
letter). `for_size` applies a world's preset (its entry's) and the size's."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from drift_core.config.base import StageConfig
from drift_core.worlds import DEFAULT, WORLDS, hidden_worlds, source_names


class TinyWorldConfig(StageConfig):
    """Every knob of `drift tiny-world`; `for_size` gives the presets (task x size: default, test).

    The field defaults are the arithmetic world's; `for_size(..., task=NAME)` applies world NAME's preset."""

    task: str = Field(DEFAULT, description=f"Which world: {WORLDS.describe()}.")
    size: Literal["default", "test"] = Field("default", description="Preset this config came from.")
    seed: int = Field(0, description="Seed of everything: splits, dialogue mixture, weight init, card sampling.")

    # Model: a standard LlamaForCausalLM (no custom code), tied embeddings.
    hidden_size: int = Field(128, ge=8, description="Model width (hidden units).")
    num_layers: int = Field(4, ge=1, description="Transformer blocks.")
    num_heads: int = Field(4, ge=1, description="Attention heads (hidden_size must divide by it).")
    intermediate_size: int = Field(384, ge=8, description="MLP width.")

    # Pre-training schedule.
    threads: int = Field(
        1, ge=1,
        description="torch CPU threads while building. 1 by default: on a shared 2-core machine two threads ran "
        "10x slower than one (they wait on each other), and a fixed count keeps a seed's weights identical.",
    )
    steps: int = Field(1800, ge=1, description="Optimizer steps of pre-training.")
    batch_size: int = Field(32, ge=1, description="Dialogues per step.")
    lr: float = Field(
        1e-3, gt=0, description="Peak AdamW learning rate (1e-3 worked; 3e-3 stalled, docs/design.md §7)."
    )
    warmup_steps: int = Field(50, ge=0, description="Linear warm-up steps; cosine decay to lr/10 after.")
    weight_decay: float = Field(0.01, ge=0, description="AdamW weight decay.")
    clean_share: float = Field(
        0.15, ge=0, le=1, description="First share of steps on clean, easy, single-turn dialogues (curriculum)."
    )
    clean_levels: list[int] = Field([1, 3], description="Arithmetic levels of the clean first stage.")
    level_weights: dict[int, float] = Field(
        {1: 1.0, 3: 2.0, 4: 1.5, 9: 2.0, 10: 1.5},
        description="Arithmetic levels of the main stage and how often each is drawn (relative weights).",
    )

    # Data mixture: the controlled imperfection of the reference policy.
    # The same knobs drive both worlds (dialogues.py); in the choice world an 'answer' is an option: the
    # dropped carry and the dropped sign are distractors, and a 'new slip' is another wrong option.
    trap_rate: float = Field(
        0.7, ge=0, le=1,
        description="Turn 1 on a problem with a carry (add) or borrow (sub) in the ones column: share of "
        "dialogues that drop it (answer off by 10; choice: pick that distractor). Above 0.5 it is the greedy "
        "answer; feedback fixes it.",
    )
    sign_rate: float = Field(
        0.7, ge=0, le=1,
        description="Turn 1 on a subtraction with a negative result: share of dialogues that drop the sign "
        "(choice: pick the unsigned distractor).",
    )
    stubborn_fix_rate: float = Field(
        0.3, ge=0, le=1,
        description="After 'Incorrect' on a negative-result problem: share of correct answers (the rest "
        "repeats, see stubborn_repeat_rate). Below stubborn_repeat_rate, greedy repeats the dropped sign "
        "to the end: a failure T=1 rollouts can fix and the repeat penalty targets. Choice: also the share "
        "of correct turn-1 answers on these problems.",
    )
    stubborn_repeat_rate: float = Field(
        0.55, ge=0, le=1,
        description="After 'Incorrect' on a negative-result problem: share repeating the last wrong answer "
        "(choice: an earlier option, uniformly; all the rest once every wrong option was picked).",
    )
    stubborn_next_rate: float = Field(
        0.0, ge=0, le=1,
        description="Choice only. After 'Incorrect' on a negative-result problem while a wrong option is still "
        "unpicked: share picking one of them (uniformly). Above twice stubborn_repeat_rate, greedy walks "
        "through the wrong options, then repeats them: it never reaches the one option left.",
    )
    slip_rate: float = Field(
        0.1, ge=0, le=1,
        description="Turn 1 otherwise: share of near-miss wrong answers (choice: a uniformly drawn distractor).",
    )
    fix_rate: float = Field(0.75, ge=0, le=1, description="After 'Incorrect': share of correct answers.")
    repeat_rate: float = Field(
        0.15, ge=0, le=1,
        description="After 'Incorrect': share repeating the last wrong answer (choice: an earlier wrong option, "
        "uniformly); the rest is a new slip (choice: an unpicked wrong option).",
    )
    malformed_rate: float = Field(
        0.03, ge=0, le=1, description="Any turn: share of responses without the closing `</answer>` tag."
    )
    zero_malformed_rate: float = Field(
        0.7, ge=0, le=1,
        description="Turn 1 with an answer ending in 0: share missing `</answer>` (a greedy-visible format slip).",
    )
    max_turns: int = Field(5, ge=1, description="Longest synthetic dialogue (assistant turns).")
    # Hidden-option items (choice only; drift_core.prompts.choice.hidden_item): the right option is random per
    # item, so turn 1 is a guess and only elimination after 'Incorrect' helps.
    hidden_pretrain_share: float = Field(
        0.0, ge=0, le=1,
        description="Choice only: share of the main stage's pre-training dialogues on hidden-option items (items "
        "of their own, in no prompt split). Such a dialogue picks a uniformly random option at turn 1; after "
        "'Incorrect' see hidden_repeat_rate. 0 in the arithmetic world (it has no hidden items).",
    )
    hidden_repeat_rate: float = Field(
        0.5, ge=0, le=1,
        description="Choice only. Hidden-option dialogues after 'Incorrect': share picking an already-rejected "
        "option again (uniformly among them); the rest picks uniformly among the options not rejected yet, so "
        "it is right only by chance. Above 1/4 the greedy answer is to repeat; a policy that never repeats (the "
        "elimination optimum) is right by turn 4.",
    )

    # Prompt splits (disjoint from each other and from every pre-training problem).
    split_levels: dict[int, float] = Field(
        {3: 0.35, 4: 0.15, 9: 0.3, 10: 0.2},
        description="Levels of the train/test prompts and their relative weights. 2-digit +/- 1-digit is learnt "
        "reliably in the default budget, 2-digit + 2-digit only sometimes (docs/design.md §7: learning is "
        "grokking-like), so it is a small share: the figures then stay in bounds across seeds.",
    )
    train_count: int = Field(600, ge=1, description="Prompts in the train split (rollouts).")
    test_count: int = Field(500, ge=1, description="Prompts in the test split (held out; the card's figures).")
    validation_count: int = Field(
        300, ge=1,
        description="Prompts in the validation split (held out; for choosing settings, so that test stays "
        "untouched). Drawn after test and train, so adding it left those two unchanged.",
    )
    hidden_share: float = Field(
        0.0, ge=0, le=1,
        description="Choice only: share of each prompt split (train, validation, test; rounded per split) that "
        "is hidden-option items, whose right option is random per item (turn 1 is a guess; elimination after "
        "'Incorrect' decides the score). The known (arithmetic) items are the first (1 - share) of the split "
        "that share 0 gives, in that order; the hidden items are interleaved at seeded positions. The "
        "arithmetic world refuses any share above 0.",
    )

    # The card: measured with the project's own episode loop on the test split.
    card_max_new_tokens: int = Field(16, ge=1, description="Generation cap per turn when measuring the card.")
    card_all_fail_n: int = Field(
        8, ge=0, description="Samples per prompt (T=1) to estimate the all-fail share of a rollout; 0 skips it."
    )
    card_all_fail_split: Literal["train", "test"] = Field(
        "train", description="Split of the all-fail estimate: train is what a rollout samples."
    )
    card_all_fail_prompts: int = Field(
        600, ge=1, description="Prompts of card_all_fail_split used for the all-fail estimate (the first ones)."
    )

    @field_validator("task")
    @classmethod
    def _registered_world(cls, v: str) -> str:
        return WORLDS.check(v)

    @model_validator(mode="after")
    def _hidden_items_need_a_world_with_them(self) -> TinyWorldConfig:
        if WORLDS.get(self.task).hidden is None:
            for name in ("hidden_share", "hidden_pretrain_share"):
                if getattr(self, name) > 0:
                    worlds = " or ".join(f"'{w}'" for w in hidden_worlds())
                    raise ValueError(
                        f"{name}={getattr(self, name)}: the {self.task} world has no hidden-option items (items "
                        f"whose right option the question does not tell); use task {worlds} or set it to 0"
                    )
        return self

    @classmethod
    def for_size(cls, size: str, seed: int = 0, task: str = DEFAULT, **overrides) -> TinyWorldConfig:
        """The preset (`task`, `size`): 'default' is the real reference (< 6 min of CPU), 'test' is for unit
        tests (seconds). The world's preset (its registry entry's) comes first, the size's after it."""
        if size not in ("default", "test"):
            raise ValueError(f"unknown tiny-world size '{size}' (choose default or test)")
        preset: dict = dict(WORLDS.get(task).preset)
        if size == "test":
            # Seconds, not minutes: a small model on an easier world (1-digit sums are in the splits).
            preset |= dict(
                hidden_size=64, num_layers=2, num_heads=2, intermediate_size=192, steps=300, batch_size=32,
                lr=3e-3, warmup_steps=20, clean_levels=[1], level_weights={1: 2.0, 3: 1.0},
                split_levels={1: 1.0, 3: 1.0}, train_count=32, test_count=32, validation_count=16,
                card_all_fail_n=0,
            )
        return cls(task=task, size=size, seed=seed, **{**preset, **overrides})


class TinyWorldSelection(StageConfig):
    """Pipeline section `tiny_world`: which self-built world the pipeline uses where none is named."""

    task: str | None = Field(
        None,
        description=f"The tiny world of the run: {' or '.join(repr(w.name) for w in WORLDS)} (built on first use "
        f"into {' or '.join(f'<workspace>/{w.dir_name}' for w in WORLDS)}). When set, the prompt sections that read a "
        "tiny world (prompts, eval_prompts) and an unset rollout.model all use this one. Unset: each section "
        f"says its own (prompts.source {' / '.join(source_names())}; rollout.model unset = {DEFAULT}).",
    )

    @field_validator("task")
    @classmethod
    def _registered_world(cls, v: str | None) -> str | None:
        return v if v is None else WORLDS.check(v)


def select_tiny_world(cfg) -> None:
    """Point `cfg` (a PipelineConfig) at `cfg.tiny_world.task`'s world, in place; nothing when unset."""
    task = cfg.tiny_world.task
    if task is None:
        return
    names, source = set(source_names()), WORLDS.get(task).source
    for section in (cfg.prompts, cfg.eval_prompts):
        if section.source in names and section.source != source:
            section.source = source
    if cfg.rollout.model is None or cfg.rollout.model in names:
        model = None if task == DEFAULT else source  # unset names the default world
        if cfg.rollout.model != model:
            cfg.rollout.model = model
