"""How the tiny world is built: model size, pre-training schedule, data mixture, prompt splits, card."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import StageConfig


class TinyWorldConfig(StageConfig):
    """Every knob of `drift tiny-world`; `for_size` gives the two presets (default, test)."""

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
    trap_rate: float = Field(
        0.7, ge=0, le=1,
        description="Turn 1 on a problem with a carry (add) or borrow (sub) in the ones column: share of "
        "dialogues that drop it (answer off by 10). Above 0.5 it is the greedy answer; feedback fixes it.",
    )
    sign_rate: float = Field(
        0.7, ge=0, le=1,
        description="Turn 1 on a subtraction with a negative result: share of dialogues that drop the sign.",
    )
    stubborn_fix_rate: float = Field(
        0.3, ge=0, le=1,
        description="After 'Incorrect' on a negative-result problem: share of correct answers (the rest "
        "repeats, see stubborn_repeat_rate). Below stubborn_repeat_rate, greedy repeats the dropped sign "
        "to the end: a failure T=1 rollouts can fix and the repeat penalty targets.",
    )
    stubborn_repeat_rate: float = Field(
        0.55, ge=0, le=1,
        description="After 'Incorrect' on a negative-result problem: share repeating the last wrong answer.",
    )
    slip_rate: float = Field(0.1, ge=0, le=1, description="Turn 1 otherwise: share of near-miss wrong answers.")
    fix_rate: float = Field(0.75, ge=0, le=1, description="After 'Incorrect': share of correct answers.")
    repeat_rate: float = Field(
        0.15, ge=0, le=1, description="After 'Incorrect': share repeating the last wrong answer (rest: new slip)."
    )
    malformed_rate: float = Field(
        0.03, ge=0, le=1, description="Any turn: share of responses without the closing `</answer>` tag."
    )
    zero_malformed_rate: float = Field(
        0.7, ge=0, le=1,
        description="Turn 1 with an answer ending in 0: share missing `</answer>` (a greedy-visible format slip).",
    )
    max_turns: int = Field(5, ge=1, description="Longest synthetic dialogue (assistant turns).")

    # Prompt splits (disjoint from each other and from every pre-training problem).
    split_levels: dict[int, float] = Field(
        {3: 0.35, 4: 0.15, 9: 0.3, 10: 0.2},
        description="Levels of the train/test prompts and their relative weights. 2-digit +/- 1-digit is learnt "
        "reliably in the default budget, 2-digit + 2-digit only sometimes (docs/design.md §7: learning is "
        "grokking-like), so it is a small share: the figures then stay in bounds across seeds.",
    )
    train_count: int = Field(600, ge=1, description="Prompts in the train split (rollouts).")
    test_count: int = Field(500, ge=1, description="Prompts in the test split (held out; the card's figures).")

    # The card: measured with the project's own episode loop on the test split.
    card_max_new_tokens: int = Field(16, ge=1, description="Generation cap per turn when measuring the card.")
    card_all_fail_n: int = Field(
        8, ge=0, description="Samples per prompt (T=1) to estimate the all-fail share of a rollout; 0 skips it."
    )
    card_all_fail_prompts: int = Field(200, ge=1, description="Test prompts used for the all-fail estimate.")

    @classmethod
    def for_size(cls, size: str, seed: int = 0, **overrides) -> TinyWorldConfig:
        """The preset `size` ('default': the real reference, < 5 min; 'test': for unit tests, < 20 s)."""
        if size == "default":
            return cls(size="default", seed=seed, **overrides)
        if size == "test":
            # Seconds, not minutes: a small model on an easier world (1-digit sums are in the splits).
            preset = dict(
                hidden_size=64, num_layers=2, num_heads=2, intermediate_size=192, steps=300, batch_size=32,
                lr=3e-3, warmup_steps=20, clean_levels=[1], level_weights={1: 2.0, 3: 1.0},
                split_levels={1: 1.0, 3: 1.0}, train_count=32, test_count=32, card_all_fail_n=0,
            )
            return cls(size="test", seed=seed, **{**preset, **overrides})
        raise ValueError(f"unknown tiny-world size '{size}' (choose default or test)")
