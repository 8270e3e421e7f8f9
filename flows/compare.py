"""The tiny-world result table: DRIFT against its baselines on one set of reference rollouts.

    drift compare                     # default size (< 45 min on 2 CPU cores); writes benchmarks/results/tiny_world.md
    drift compare --quick             # CI size: test tiny world, 2 seeds, 2 steps (figures are noise)
    drift compare --set compare.seeds=[0,1,2,3,4] --set train.learning_rate=5e-5

Arms: the registry in drift_core/compare/arms.py (`compare.arms` picks them); every trained arm gets
the same optimizer steps. Each arm x seed is the pipeline's cached train/evaluate tasks under one MLflow
run; a rerun recomputes only what changed.
"""

# No `from __future__ import annotations`: Prefect builds its parameter model from these annotations.
import time

import yaml
from prefect import flow

from drift_core.compare.arms import GOLD, ONLINE_GRPO, ROLLOUT, arms
from drift_core.compare.cost import Cost, of_rollout
from drift_core.compare.online import online_config, online_lr_grid
from drift_core.compare.output import write_results
from drift_core.compare.runtime import run_tokens, set_threads
from drift_core.compare.selection import Selection, choose
from drift_core.compare.summary import aggregate
from drift_core.config import PipelineConfig, load_config
from drift_core.config.compare import ANSWER_PIPELINE, DEFAULT_PIPELINE, CompareConfig
from drift_core.errors import DriftError
from drift_core.store import Workspace
from flows.setup import flow_setup
from tasks import tracking
from tasks.compare import facts, log_files, run_arm
from tasks.prompts import prompts_task
from tasks.rollout import gold_sft_task, rollout_task
from tasks.stage import run_stage
from tasks.weights import weights_task

FLOW_NAME = "drift-compare"
DEFAULT = load_config(None, DEFAULT_PIPELINE)  # the parameter's default = `drift compare`'s


@flow(name=FLOW_NAME, log_prints=True)
def drift_compare(
    config: PipelineConfig = DEFAULT,
    compare: CompareConfig = CompareConfig(),  # noqa: B008 (a pydantic default, not a call per use)
    command: str = "drift compare",
    refresh: bool = False,
) -> dict:
    """Prompts -> one rollout -> a weighting per arm -> train + evaluate each arm x seed -> table."""
    t0 = time.perf_counter()
    cfg, protocol = config, config.protocol
    set_threads(compare.threads)
    plan = arms(compare)
    run_name = f"compare ({compare.label})"
    with flow_setup(cfg, refresh=refresh, run_name=run_name, sections={"compare": compare}) as setup:
        ws, reference = setup.ws, setup.reference
        train_prompts, test_prompts = setup.train_prompts, setup.test_prompts
        data = {}
        if any(a.data == ROLLOUT for a in plan):
            data[ROLLOUT] = run_stage(rollout_task, ws, train_prompts, reference, protocol, cfg.rollout,
                                      runner=cfg.runner)
        if any(a.data == GOLD for a in plan):
            data[GOLD] = run_stage(gold_sft_task, ws, train_prompts, protocol)
        weighted = {a.name: run_stage(weights_task, ws, data[a.data], a.weights, protocol.repeat_penalty_lambda,
                                      stage_name=f"weights.{a.name}")
                    for a in plan if a.weights is not None}
        # The reference rollout's cost, counted whole by every arm that reads it (drift_core/compare/cost.py).
        shared = (of_rollout(data[ROLLOUT].metrics, run_tokens(Workspace(ws), data[ROLLOUT].run_id))
                  if ROLLOUT in data else Cost())
        # The online arm runs to a multiple of one DRIFT round's generated tokens (drift_core/compare/online.py).
        online = online_config(cfg.grpo, compare, shared.generated_tokens)
        has_online = any(a.method == ONLINE_GRPO for a in plan)
        validation = None
        if needs_selection(plan, weighted, compare) or (has_online and online.checkpoints):
            validation = run_stage(prompts_task, ws,
                                   cfg.eval_prompts.model_copy(update={"split": compare.validation_split}),
                                   stage_name="validation-prompts")
        selections = select_learning_rates(ws, plan, weighted, reference, cfg, compare, shared, train_prompts,
                                           validation=validation, online=online)
        lr = {sel.arm: sel.chosen for sel in selections}
        if has_online and len(online_lr_grid(compare)) == 1 and compare.online_lr_grid:
            lr.setdefault(next(a.name for a in plan if a.method == ONLINE_GRPO), compare.online_lr_grid[0])
        records = [
            run_arm(ws, arm, seed, reference, weighted.get(arm.name), test_prompts, protocol,
                    cfg.train.model_copy(update={"learning_rate": lr.get(arm.name, cfg.train.learning_rate)}),
                    cfg.eval, max_steps=compare.max_steps, shared=shared,
                    sampled_temperature=compare.sampled_temperature if compare.sampled else None,
                    train_prompts=train_prompts, grpo=online, rollout=cfg.rollout, validation=validation,
                    runner=cfg.runner)
            for seed in compare.seeds for arm in plan
        ]
        summary = aggregate(records, list(compare.arms), protocol.max_turns)
        about = {a.name: a.about for a in plan}
        notes = facts(reference, train_prompts, test_prompts, data.get(ROLLOUT), weighted, cfg.train,
                      compare.max_steps, cfg.rollout.n, time.perf_counter() - t0, lr_chosen=bool(selections),
                      grpo=online if has_online else None, online_multiple=compare.online_token_multiple)
        if any(a.rounds > 1 for a in plan):
            named = ", ".join(f"`{a.name}` {a.rounds}" for a in plan if a.rounds > 1)
            notes["rounds"] = (f"{named} rounds: each round after the first samples n={cfg.rollout.n} per train "
                               f"prompt from the last round's model and trains from it for {compare.max_steps} "
                               "steps; its cost counts every round")
        estimate = default_size_estimate(cfg, compare, records, time.perf_counter() - t0, train_prompts,
                                         validation, test_prompts)
        notes["estimated default-size wall time"] = estimate
        logged = cfg.model_dump(mode="json") | {"compare": compare.model_dump(mode="json")}
        files = write_results(summary, compare.output, title=f"Tiny-world result table ({compare.label})",
                              command=command, config_yaml=yaml.safe_dump(logged, sort_keys=False), about=about,
                              facts=notes, selections=selections, online_beta=online.beta if has_online else None)
        tracking.log_summary(summary.flat_metrics(), tags={"drift.flow": FLOW_NAME})
        log_files(files, "compare")  # the rounds plot among them, where rounds are compared
        result = setup.result() | {"files": [str(f) for f in files], "summary": summary.flat_metrics(),
                                   "records": records, "estimate": estimate}
    return result


def default_size_estimate(cfg: PipelineConfig, compare: CompareConfig, records: list[dict], seconds: float,
                          train_prompts, validation, test_prompts) -> str:
    """This comparison's arms at the default size (the world's full splits, compare's and the pipeline's
    defaults), estimated from this run's measured rates (drift_core/compare/estimate.py)."""
    import os

    from drift_core.compare.estimate import estimate_markdown, rates, sizes_of
    from drift_core.config import load_config
    from drift_core.config.tiny_world import TinyWorldConfig
    from drift_core.tiny_world import SIZE_ENV
    from drift_core.worlds import DEFAULT as DEFAULT_WORLD

    def count(p) -> int:
        return int(p.metrics.get("prompts", 0)) if p is not None else 0

    task = cfg.tiny_world.task or DEFAULT_WORLD
    measured = sizes_of(cfg, compare, train_prompts=count(train_prompts), validation_problems=count(validation),
                        test_problems=count(test_prompts), world_size=os.environ.get(SIZE_ENV, "default"))
    world = TinyWorldConfig.for_size("default", task=task)
    # With the online arm, the default size is `--answer`'s, whose online batch is its preset's (ANSWER_PIPELINE):
    # without it the target's shape differs from a default-size answer run's own.
    online = ANSWER_PIPELINE if any(a.method == ONLINE_GRPO for a in arms(compare)) else []
    target_cfg = load_config(None, [*DEFAULT_PIPELINE, *online, f"tiny_world.task={task}"])
    target = CompareConfig(arms=compare.arms)
    at = sizes_of(target_cfg, target, train_prompts=world.train_count, validation_problems=world.validation_count,
                  test_problems=world.test_count, world_size="default")
    label = (f"these {len(target.arms)} arms at the default size ({len(target.seeds)} seeds, lr grid of "
             f"{len(target.lr_grid)}, {target.max_steps} steps, the online arm to {target.online_token_multiple:g}x "
             "one round's tokens)")
    return estimate_markdown(at, measured, rates(records, measured, seconds), label)


def _grid(arm, compare: CompareConfig) -> list[float]:
    """The learning rates an arm's selection tries: the online arm may have its own (compare.online_lr_grid)."""
    return online_lr_grid(compare) if arm.method == ONLINE_GRPO else list(compare.lr_grid)


def _selected(plan, weighted: dict, compare: CompareConfig) -> list:
    """The trained arms whose grid has more than one value (the others keep their one rate)."""
    return [arm for arm in plan if (arm.name in weighted or arm.method == ONLINE_GRPO) and len(_grid(arm, compare)) > 1]


def needs_selection(plan, weighted: dict, compare: CompareConfig) -> bool:
    return bool(_selected(plan, weighted, compare))


def select_learning_rates(ws: str, plan, weighted: dict, reference, cfg: PipelineConfig, compare: CompareConfig,
                          shared: Cost, train_prompts=None, *, validation=None, online=None) -> list[Selection]:
    """Each trained arm's learning rate: every value of its grid (`compare.lr_grid`; the online arm's:
    `compare.online_lr_grid` when set) trained with `select_seed` and scored greedily on the validation split;
    the best `select_metric` wins (drift_core.compare.selection.choose). The test split is never read here. A
    one-value grid selects nothing. `online`: the grpo section as the online arm runs it."""
    trained = _selected(plan, weighted, compare)
    if not trained:
        return []
    k = int(compare.select_metric.split("@")[1])
    if k > cfg.protocol.max_turns:
        raise DriftError(f"compare.select_metric {compare.select_metric}: k is above protocol.max_turns "
                         f"({cfg.protocol.max_turns})")
    if validation is None:
        validation = run_stage(prompts_task, ws,
                               cfg.eval_prompts.model_copy(update={"split": compare.validation_split}),
                               stage_name="validation-prompts")
    selections = []
    for arm in trained:
        scores = {}
        for lr in _grid(arm, compare):
            record = run_arm(ws, arm, compare.select_seed, reference, weighted.get(arm.name), validation,
                             cfg.protocol, cfg.train.model_copy(update={"learning_rate": lr}), cfg.eval,
                             max_steps=compare.max_steps, shared=shared, sampled_temperature=None,
                             purpose="validation", train_prompts=train_prompts, grpo=online or cfg.grpo,
                             rollout=cfg.rollout, validation=validation, runner=cfg.runner)
            scores[lr] = record["greedy"].get(compare.select_metric)
        selections.append(Selection(arm.name, compare.select_metric, scores, choose(scores),
                                    int(validation.metrics.get("prompts", 0))))
    return selections
