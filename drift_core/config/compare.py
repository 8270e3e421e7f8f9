"""The result table's settings: which arms, how many seeds, one training budget for all (docs/design.md §7).

`drift compare` reads the pipeline config (YAML + `--set section.key=value`) for the shared sections
(protocol, prompts, rollout, train, eval) and `--set compare.key=value` / `--set sweep.key=value` for
these two models; `split_overrides` separates them so the pipeline config stays strict.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from drift_core import weight_schemes
from drift_core.compare.arms import arm_names, arms_help, default_arm_names
from drift_core.config.base import SPEED_ONLY, StageConfig


class CompareConfig(StageConfig):
    """DRIFT against its baselines on one set of reference rollouts, with the same budget per arm."""

    # The arm names, their default and this help come from the arm registry (drift_core/compare/arms.py),
    # which is read again at each validation, so an arm registered later is accepted.
    arms: list[str] = Field(
        default_factory=default_arm_names,
        min_length=1,
        description=f"Arms to run, in table order: {arms_help()}.",
    )
    seeds: list[int] = Field(
        [0, 1, 2], min_length=1,
        description="Training seeds (shuffle order) and T=1 evaluation seeds; figures are mean ± std over them.",
    )
    max_steps: int = Field(
        300, ge=1,
        description="Optimizer steps of every trained arm (the same budget: steps x train batch = samples seen). "
        "300 x 16 = one pass over 600 prompts x n=8 rollouts; gold-sft cycles over its 600 answers.",
    )
    lr_grid: list[float] = Field(
        [1e-5, 3e-5, 1e-4], min_length=1,
        description="Learning rates tried for every trained arm (the same grid and budget for each): trained "
        "with seed `select_seed` and scored on the validation split; the best `select_metric` is the arm's "
        "setting for every seed. Test problems never enter the choice. One value: nothing is selected.",
    )
    select_metric: str = Field(
        "multi@5", pattern=r"^multi@[1-9][0-9]*$",
        description="Validation figure that picks each arm's learning rate (greedy decoding): multi@k, k <= max_turns.",
    )
    select_seed: int = Field(0, description="Training seed of the learning-rate selection runs.")
    validation_split: str = Field(
        "validation", description="Split of the eval prompt source the selection is scored on (not the test split).",
    )
    # The online-grpo arm (docs/design.md §10, "The answer"): a token budget instead of compare.max_steps.
    online_token_multiple: float = Field(
        5.0, gt=0.0,
        description="The online-grpo arm runs until it has generated this many times the tokens of one DRIFT "
        "round (the reference rollout's generated tokens; the comparison asks for at least 5). Without a rollout "
        "arm in the comparison there is no round to measure: the arm runs compare.max_steps.",
    )
    online_max_steps: int = Field(
        3000, ge=1,
        description="Safety cap on the online-grpo arm's optimizer steps: the run stops at its token budget or "
        "here, whichever comes first, and its record's `stopped_by` says which.",
    )
    online_checkpoints: int = Field(
        5, ge=0,
        description="Points along the online-grpo run (every 1/N of its token budget, plus one before the first "
        "step) where its greedy validation multi@k is recorded with the generated tokens and wall seconds so far. "
        "Each scores online_checkpoint_prompts problems; 0: no curve.",
    )
    online_checkpoint_prompts: int = Field(
        100, ge=1,
        description="Validation problems scored at each checkpoint (the first of the validation split). 100: a "
        "95% interval of about ±0.1 per point, at a fraction of a full validation pass.",
    )
    online_lr_grid: list[float] | None = Field(
        None, min_length=1,
        description="Learning rates tried for the online-grpo arm (None: lr_grid, the grid every trained arm "
        "gets). A shorter grid is the lever when its runs do not fit the time budget.",
    )
    drift_gamma: float = Field(0.9, gt=0.0, le=1.0, description="gamma of the drift and drift-ext arms.")
    drift_beta: float = Field(0.1, gt=0.0, description="beta of the drift arm (the reference's value).")
    ext_beta: float | Literal["auto"] = Field(
        "auto", description="beta of drift-ext: 'auto' picks the sharpest beta whose mean ESS/n reaches ext_target_ess."
    )
    ext_target_ess: float = Field(0.5, gt=0.0, le=1.0, description="ESS/n target of drift-ext's beta auto.")
    ext_all_fail_zero: bool = Field(
        True, description="drift-ext: weight 0 on prompts where every trajectory failed (drift keeps ~1 on them)."
    )
    sampled: bool = Field(
        True, description="Also evaluate every model at T=1 (seeded by the arm's seed), beside greedy decoding."
    )
    sampled_temperature: float = Field(1.0, gt=0.0, description="Temperature of the sampled evaluation.")
    output: str = Field(
        "benchmarks/results/tiny_world.md",
        description="Markdown table written here (a .png of multi@k by k and a .json of every seed beside it).",
    )
    label: str = Field("default size", description="What this run is, printed in the table's heading.")
    threads: int | None = Field(
        1, ge=1, json_schema_extra=SPEED_ONLY,
        description="torch CPU threads for training and generation (None: torch's default). 1 because on a "
        "shared 2-core machine two threads ran far slower than one (docs/design.md §7, tiny-world build).",
    )


    @field_validator("arms")
    @classmethod
    def _registered_arms(cls, v: list[str]) -> list[str]:
        unknown = [a for a in v if a not in arm_names()]
        if unknown:
            raise ValueError(f"unknown arm {', '.join(unknown)}; the arms are {', '.join(arm_names())}")
        return v


class SweepConfig(StageConfig):
    """A beta x gamma grid of one weighting scheme, each point trained with the same budget."""

    betas: list[float] = Field([0.03, 0.1, 0.3, 1.0], min_length=1, description="beta values (each > 0).")
    gammas: list[float] = Field([0.5, 0.9, 1.0], min_length=1, description="gamma values (each in (0, 1]).")
    scheme: str = Field(weight_schemes.DEFAULT, description="Weighting scheme swept: one with a beta "
                        f"({weight_schemes.using('uses_beta')}).")
    seed: int = Field(0, description="Training seed of every grid point.")
    max_steps: int = Field(300, ge=1, description="Optimizer steps per grid point (as compare.max_steps).")
    threads: int | None = Field(
        1, ge=1, json_schema_extra=SPEED_ONLY, description="torch CPU threads (as compare.threads)."
    )
    output: str = Field(
        "benchmarks/results/tiny_world_sweep.md", description="Markdown grid written here (heat map .png beside it)."
    )

    @field_validator("betas")
    @classmethod
    def _betas_positive(cls, v: list[float]) -> list[float]:
        if any(not b > 0 for b in v):
            raise ValueError("every beta must be > 0")
        return v

    @field_validator("scheme")
    @classmethod
    def _scheme_has_beta(cls, v: str) -> str:
        if not weight_schemes.get(v).uses_beta:  # drift_core/weight_schemes.py
            raise ValueError(f"scheme {v!r} has no beta to sweep (choose {weight_schemes.using('uses_beta')})")
        return v

    @field_validator("gammas")
    @classmethod
    def _gammas_in_range(cls, v: list[float]) -> list[float]:
        if any(not 0 < g <= 1 for g in v):
            raise ValueError("every gamma must be in (0, 1]")
        return v


# The default size differs from `drift run`'s config only here: every train prompt of the tiny world
# (600, not 200), so a trained arm's 300 steps x 16 are one pass over its 600 x n=8 rollouts.
DEFAULT_PIPELINE = ["prompts.limit=null"]

# `--quick`: the whole comparison in about a minute on the `test` tiny world (CI). Seeds stay >= 2
# so std is defined; every figure it prints is noise and is labelled so.
QUICK_PIPELINE = [
    "prompts.limit=8", "eval_prompts.limit=12", "rollout.n=2", "rollout.max_new_tokens=8",
    "eval.max_new_tokens=8", "train.per_device_train_batch_size=4", "protocol.max_turns=3",
    # the online-grpo arm: 2 prompts x 2 trajectories per step
    "grpo.num_generations=2", "grpo.per_device_train_batch_size=4", "grpo.max_new_tokens=8",
]
# Quick runs every default arm and the two costly ones at their smallest: two rounds, and online GRPO.
QUICK_ARMS = ["reference", "gold-sft", "uniform", "rft", "drift", "drift-ext", "drift-r2", "online-grpo"]
QUICK_COMPARE = [f"compare.arms=[{','.join(QUICK_ARMS)}]", "compare.seeds=[0,1]", "compare.max_steps=2",
                 "compare.label=quick size", "compare.lr_grid=[1e-4,1e-3]", "compare.select_metric=multi@3",
                 "compare.online_max_steps=60"]
# `--answer` (docs/design.md §10, "The answer"): every offline arm, both rounds arms and online GRPO, on the
# comparison's default seeds (3) and learning-rate grid; the page goes beside the world's table as <stem>_answer.md.
ANSWER_ARMS = ["reference", "gold-sft", "uniform", "rft", "drift", "drift-ext", "drift-r2", "drift-r3", "online-grpo"]
ANSWER_COMPARE = [f"compare.arms=[{','.join(ANSWER_ARMS)}]"]
# The online arm's batch at the answer's default size (not --quick): 16 prompts x 8 trajectories per step. A speed
# setting, not a tuned one: on this machine at one torch thread, 128 trajectories per step generated ~570 tokens/s
# against ~460 at 64 and ~290 at 16 (TRL's default shape), so 5x one DRIFT round's tokens fits the 60-minute
# budget (docs/design.md §10, "The answer"). The group stays 8 = rollout.n, as the offline arms sample.
ANSWER_PIPELINE = ["grpo.per_device_train_batch_size=128"]


def answer_output(output: str) -> str:
    """Where `--answer` writes its page: beside `output` (the world's table), as <stem>_answer.md."""
    from pathlib import PurePosixPath

    path = PurePosixPath(output)
    return str(path.with_name(f"{path.stem}_answer{path.suffix or '.md'}"))


QUICK_SWEEP = ["sweep.betas=[0.1,1.0]", "sweep.gammas=[0.9]", "sweep.max_steps=2"]


def split_overrides(items: list[str] | None, section: str) -> tuple[list[str], dict]:
    """(pipeline overrides, {field: value} for `section`): 'compare.seeds=[0,1]' goes to the second."""
    from drift_core.config.base import parse_override

    rest, mine = [], {}
    for item in items or []:
        parts, value = parse_override(item)
        if parts[0] == section and len(parts) == 2:
            mine[parts[1]] = value
        else:
            rest.append(item)
    return rest, mine
