"""How the tiny world is built: model size, pre-training schedule, data mixture, prompt splits, card.

Two worlds share the machinery (docs/tiny-world.md): `arithmetic` (answer the number) and `choice`
(the same questions with four labelled options; answer the letter). `for_size` holds the presets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drift_core.config.base import StageConfig

Task = Literal["arithmetic", "choice"]
TASKS: tuple[str, ...] = ("arithmetic", "choice")
# What each world is called as a prompt source (prompts.source, `--prompts NAME[:split]`) and as a model
# (rollout.model; unset = the arithmetic one), and its directory in the workspace.
SOURCE_NAMES = {"arithmetic": "tiny-world", "choice": "tiny-world-choice"}
DIR_NAMES = {"arithmetic": "tiny_world", "choice": "tiny_world_choice"}


class TinyWorldConfig(StageConfig):
    """Every knob of `drift tiny-world`; `for_size` gives the presets (task x size: default, test).

    The field defaults are the arithmetic world's; `for_size(..., task='choice')` sets the choice world's."""

    task: Task = Field(
        "arithmetic",
        description="Which world: 'arithmetic' (answer the number) or 'choice' (four labelled options, "
        "answer the letter; feedback then says the chosen option is wrong).",
    )
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

    @model_validator(mode="after")
    def _hidden_items_are_choice_only(self) -> TinyWorldConfig:
        if self.task == "arithmetic":
            for name in ("hidden_share", "hidden_pretrain_share"):
                if getattr(self, name) > 0:
                    raise ValueError(
                        f"{name}={getattr(self, name)}: the arithmetic world has no hidden-option items (they "
                        "are four labelled options answered with a letter); use task 'choice' or set it to 0"
                    )
        return self

    @classmethod
    def for_size(cls, size: str, seed: int = 0, task: str = "arithmetic", **overrides) -> TinyWorldConfig:
        """The preset (`task`, `size`): 'default' is the real reference (< 6 min of CPU), 'test' is for unit
        tests (seconds)."""
        if task not in TASKS:
            raise ValueError(f"unknown tiny-world task '{task}' (choose {' or '.join(TASKS)})")
        if size not in ("default", "test"):
            raise ValueError(f"unknown tiny-world size '{size}' (choose default or test)")
        preset: dict = dict(CHOICE_PRESET) if task == "choice" else {}
        if size == "test":
            # Seconds, not minutes: a small model on an easier world (1-digit sums are in the splits).
            preset |= dict(
                hidden_size=64, num_layers=2, num_heads=2, intermediate_size=192, steps=300, batch_size=32,
                lr=3e-3, warmup_steps=20, clean_levels=[1], level_weights={1: 2.0, 3: 1.0},
                split_levels={1: 1.0, 3: 1.0}, train_count=32, test_count=32, validation_count=16,
                card_all_fail_n=0,
            )
        return cls(task=task, size=size, seed=seed, **{**preset, **overrides})


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


class TinyWorldSelection(StageConfig):
    """Pipeline section `tiny_world`: which self-built world the pipeline uses where none is named."""

    task: Task | None = Field(
        None,
        description="The tiny world of the run: 'arithmetic' or 'choice' (built on first use into "
        "<workspace>/tiny_world or <workspace>/tiny_world_choice). When set, the prompt sections that read a "
        "tiny world (prompts, eval_prompts) and an unset rollout.model all use this one. Unset: each section "
        "says its own (prompts.source tiny-world / tiny-world-choice; rollout.model unset = arithmetic).",
    )


def select_tiny_world(cfg) -> None:
    """Point `cfg` (a PipelineConfig) at `cfg.tiny_world.task`'s world, in place; nothing when unset."""
    task = cfg.tiny_world.task
    if task is None:
        return
    names = set(SOURCE_NAMES.values())
    for section in (cfg.prompts, cfg.eval_prompts):
        if section.source in names and section.source != SOURCE_NAMES[task]:
            section.source = SOURCE_NAMES[task]
    if cfg.rollout.model is None or cfg.rollout.model in names:
        model = None if task == "arithmetic" else SOURCE_NAMES[task]
        if cfg.rollout.model != model:
            cfg.rollout.model = model
