"""A comparison's wall time at another size, from a run's measured rates (docs/design.md §10, "The answer": each
world's answer comparison must fit 60 minutes on the 2-core machine).

A comparison's work is counted in units whose cost per unit does not depend on how many there are: reference
rollout trajectories, later rounds' rollout trajectories (sampled from trained models, which stop at turn 1 more
often, so charged at their own measured rate), weighted-SFT optimizer steps, tokens the online arm generates (its
sampling and its training both grow with them), evaluated problems, checkpoint problems, and arm runs (each one's
fixed cost: Prefect, MLflow, loading a model). `rates` divides a run's measured seconds by its units, the fixed
cost per arm run being what the measured units leave of its wall time, so `seconds(units(its sizes), rates)` is
its own wall time again; `seconds(units(other sizes), rates)` is the estimate. It is as good as the shapes match:
the rates of a run with another model, turn length or batch size do not carry over (`Sizes.shape`).

Counted as the flow caches: an arm's seed-`select_seed` run at the chosen rate is its selection run; the rounds
arms share their earlier rounds with each other and with `drift` (the same rate assumed: a lower bound where
they choose different rates).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drift_core.config.compare import CompareConfig
    from drift_core.config.pipeline import PipelineConfig


@dataclass(frozen=True)
class ArmSize:
    name: str
    trains: bool  # weighted SFT or online
    online: bool = False
    rounds: int = 1


@dataclass(frozen=True)
class Sizes:
    """What a comparison runs, in counts (the flow's CompareConfig and pipeline sections)."""

    arms: tuple[ArmSize, ...]
    train_prompts: int
    n: int  # rollout trajectories per prompt
    validation_problems: int
    test_problems: int
    max_steps: int
    seeds: int
    lr_grid: int
    online_lr_grid: int
    online_token_multiple: float
    checkpoints: int
    checkpoint_prompts: int
    sampled: bool = True
    select_seed_in_seeds: bool = True
    shape: dict = field(default_factory=dict)  # model, max_new_tokens, max_turns, batch sizes: the rates' validity


@dataclass(frozen=True)
class Rates:
    rollout_trajectory: float = 0.0  # seconds per reference rollout trajectory
    round_trajectory: float | None = None  # seconds per later round's rollout trajectory (None: rollout_trajectory)
    tokens_per_trajectory: float = 0.0  # generated tokens per rollout trajectory
    sft_step: float = 0.0  # seconds per weighted-SFT optimizer step
    online_token: float = 0.0  # seconds (sampling + training) per token the online arm generates
    eval_problem: float = 0.0  # seconds per evaluated problem
    checkpoint_problem: float = 0.0  # seconds per problem scored at an online checkpoint
    arm_run: float = 0.0  # fixed seconds per arm run (what the counted units leave of the wall time)


def runs(sizes: Sizes, grid: int) -> int:
    """Trained runs of one arm: its selection's (one per grid value, when the grid has two or more) plus the
    test seeds', the select seed's test run being the selection's at the chosen rate."""
    if grid < 2:
        return sizes.seeds
    return grid + sizes.seeds - (1 if sizes.select_seed_in_seeds else 0)


def units(sizes: Sizes) -> dict[str, float]:
    """The work of a comparison of `sizes`, unit by unit (module docstring)."""
    rollout = sizes.train_prompts * sizes.n
    out = {"rollout_trajectories": float(rollout if any(a.trains and not a.online for a in sizes.arms) else 0),
           "round_trajectories": 0.0, "sft_steps": 0.0, "online_tokens": 0.0, "eval_problems": 0.0,
           "checkpoint_problems": 0.0, "arm_runs": 0.0}
    offline = [a for a in sizes.arms if a.trains and not a.online]
    chain = max((a.rounds for a in offline if a.rounds > 1), default=1)  # drift -> drift-r2 -> drift-r3
    for a in offline:
        if a.rounds == 1:
            out["sft_steps"] += runs(sizes, sizes.lr_grid) * sizes.max_steps
    if chain > 1:  # the chain's rounds after the first; its first too where no plain drift arm trains it
        rounds_runs = runs(sizes, sizes.lr_grid)
        first = 0 if any(a.name == "drift" for a in offline) else 1
        out["sft_steps"] += rounds_runs * sizes.max_steps * (chain - 1 + first)
        out["round_trajectories"] += rounds_runs * (chain - 1) * rollout
    for a in sizes.arms:
        grid = sizes.online_lr_grid if a.online else sizes.lr_grid
        selected = grid if a.trains and grid > 1 else 0
        out["eval_problems"] += selected * sizes.validation_problems
        out["eval_problems"] += sizes.seeds * sizes.test_problems * (2 if sizes.sampled else 1)
        out["arm_runs"] += selected + sizes.seeds
        if a.online:
            r = runs(sizes, grid)
            out["online_tokens"] += r * sizes.online_token_multiple * rollout  # x tokens per trajectory: below
            if sizes.checkpoints:  # the points along the budget and the one before the first step
                out["checkpoint_problems"] += r * (sizes.checkpoints + 1) * sizes.checkpoint_prompts
    return out


def seconds(u: dict[str, float], rates: Rates) -> float:
    """Wall seconds of units `u` at `rates`."""
    per_round = rates.rollout_trajectory if rates.round_trajectory is None else rates.round_trajectory
    return (u["rollout_trajectories"] * rates.rollout_trajectory + u["round_trajectories"] * per_round
            + u["sft_steps"] * rates.sft_step
            + u["online_tokens"] * rates.tokens_per_trajectory * rates.online_token
            + u["eval_problems"] * rates.eval_problem + u["checkpoint_problems"] * rates.checkpoint_problem
            + u["arm_runs"] * rates.arm_run)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def rates(records: list[dict], sizes: Sizes, wall_seconds: float) -> Rates:
    """The per-unit rates of a run of `sizes` from its records (tasks/compare.py's run_arm) and wall time."""
    by = {a.name: a for a in sizes.arms}
    rollout = sizes.train_prompts * sizes.n
    offline = [r for r in records if by.get(r["arm"]) and by[r["arm"]].trains and not by[r["arm"]].online]
    plain = [r for r in offline if by[r["arm"]].rounds == 1] or offline
    online = [r for r in records if by.get(r["arm"]) and by[r["arm"]].online and r.get("rollout_tokens")]
    shared = next((r for r in plain if r.get("generation_seconds")), None)
    rounds = {r["arm"]: by[r["arm"]].rounds for r in plain}
    ckpt = [(r["online"].get("checkpoint_seconds") or 0.0)
            / (len(r["online"]["checkpoints"]) * sizes.checkpoint_prompts)
            for r in online if (r.get("online") or {}).get("checkpoints")]
    # A rounds arm's generation seconds: the shared rollout's plus each later round's own (drift_core/compare/cost.py).
    later = [(r["generation_seconds"] - shared["generation_seconds"]) / ((by[r["arm"]].rounds - 1) * rollout)
             for r in offline if shared and rollout and by[r["arm"]].rounds > 1 and r.get("generation_seconds")]
    out = Rates(
        rollout_trajectory=(shared["generation_seconds"] / rollout) if shared and rollout else 0.0,
        round_trajectory=_mean(later) if later else None,
        tokens_per_trajectory=(shared["rollout_tokens"] / rollout) if shared and rollout else 0.0,
        sft_step=_mean([r["train_seconds"] / (sizes.max_steps * rounds[r["arm"]]) for r in plain
                        if r.get("train_seconds")]),
        online_token=_mean([((r.get("generation_seconds") or 0.0) + (r.get("train_seconds") or 0.0))
                            / r["rollout_tokens"] for r in online]),
        eval_problem=_mean([r["eval_seconds"] / r["test_problems"] for r in records
                            if r.get("eval_seconds") and r.get("test_problems")]),
        checkpoint_problem=_mean(ckpt),
    )
    u = units(sizes)
    left = wall_seconds - seconds(u, out)
    return replace(out, arm_run=max(left, 0.0) / u["arm_runs"] if u["arm_runs"] else 0.0)


def estimate_markdown(target: Sizes, measured: Sizes, r: Rates, label: str) -> str:
    """One line: the estimate at `target` and on what it rests."""
    est = seconds(units(target), r)
    same = target.shape == measured.shape
    caveat = ("at the same shapes (model, turn length, batch sizes) as this run" if same else
              "but this run's shapes (model, turn length, batch sizes) differ from the target's, so its rates do "
              "not carry over: a rough figure only")
    return (f"{est / 60:.1f} min for {label} on this machine, from this run's measured rates per rollout "
            f"trajectory, SFT step, online token, evaluated problem and arm run ({caveat})")


def sizes_of(cfg: PipelineConfig, compare: CompareConfig, *, train_prompts: int, validation_problems: int,
             test_problems: int, world_size: str) -> Sizes:
    """The Sizes of a comparison of `compare` under `cfg` on splits of these counts (`world_size`: the tiny
    world's preset, 'default' or 'test': its model is part of the shape)."""
    from drift_core.compare.arms import ONLINE_GRPO, UNTRAINED, arms

    plan = tuple(ArmSize(a.name, a.method != UNTRAINED, a.method == ONLINE_GRPO, a.rounds) for a in arms(compare))
    shape = {"world": f"{cfg.tiny_world.task or 'arithmetic'} ({world_size})", "n": cfg.rollout.n,
             "rollout.max_new_tokens": cfg.rollout.max_new_tokens, "eval.max_new_tokens": cfg.eval.max_new_tokens,
             "grpo.max_new_tokens": cfg.grpo.max_new_tokens, "max_turns": cfg.protocol.max_turns,
             "train batch": cfg.train.per_device_train_batch_size * cfg.train.gradient_accumulation_steps,
             "grpo batch": cfg.grpo.trajectories_per_step}
    return Sizes(arms=plan, train_prompts=train_prompts, n=cfg.rollout.n, validation_problems=validation_problems,
                 test_problems=test_problems, max_steps=compare.max_steps, seeds=len(compare.seeds),
                 lr_grid=len(compare.lr_grid), online_lr_grid=len(compare.online_lr_grid or compare.lr_grid),
                 online_token_multiple=compare.online_token_multiple, checkpoints=compare.online_checkpoints,
                 checkpoint_prompts=min(compare.online_checkpoint_prompts, validation_problems),
                 sampled=compare.sampled, select_seed_in_seeds=compare.select_seed in compare.seeds, shape=shape)
