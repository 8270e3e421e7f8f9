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
from drift_core.compare.output import write_results
from drift_core.compare.runtime import run_tokens, set_threads
from drift_core.compare.selection import Selection, choose
from drift_core.compare.summary import aggregate
from drift_core.config import PipelineConfig, load_config
from drift_core.config.compare import DEFAULT_PIPELINE, CompareConfig
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
        selections = select_learning_rates(ws, plan, weighted, reference, cfg, compare, shared, train_prompts)
        lr = {sel.arm: sel.chosen for sel in selections}
        records = [
            run_arm(ws, arm, seed, reference, weighted.get(arm.name), test_prompts, protocol,
                    cfg.train.model_copy(update={"learning_rate": lr.get(arm.name, cfg.train.learning_rate)}),
                    cfg.eval, max_steps=compare.max_steps, shared=shared,
                    sampled_temperature=compare.sampled_temperature if compare.sampled else None,
                    train_prompts=train_prompts, grpo=cfg.grpo, rollout=cfg.rollout, runner=cfg.runner)
            for seed in compare.seeds for arm in plan
        ]
        summary = aggregate(records, list(compare.arms), protocol.max_turns)
        about = {a.name: a.about for a in plan}
        notes = facts(reference, train_prompts, test_prompts, data.get(ROLLOUT), weighted, cfg.train,
                      compare.max_steps, cfg.rollout.n, time.perf_counter() - t0, lr_chosen=bool(selections),
                      grpo=cfg.grpo if any(a.method == ONLINE_GRPO for a in plan) else None)
        if any(a.rounds > 1 for a in plan):
            named = ", ".join(f"`{a.name}` {a.rounds}" for a in plan if a.rounds > 1)
            notes["rounds"] = (f"{named} rounds: each round after the first samples n={cfg.rollout.n} per train "
                               f"prompt from the last round's model and trains from it for {compare.max_steps} "
                               "steps; its cost counts every round")
        logged = cfg.model_dump(mode="json") | {"compare": compare.model_dump(mode="json")}
        files = write_results(summary, compare.output, title=f"Tiny-world result table ({compare.label})",
                              command=command, config_yaml=yaml.safe_dump(logged, sort_keys=False), about=about,
                              facts=notes, selections=selections)
        tracking.log_summary(summary.flat_metrics(), tags={"drift.flow": FLOW_NAME})
        log_files(files, "compare")  # the rounds plot among them, where rounds are compared
        result = setup.result() | {"files": [str(f) for f in files], "summary": summary.flat_metrics(),
                                   "records": records}
    return result


def select_learning_rates(ws: str, plan, weighted: dict, reference, cfg: PipelineConfig, compare: CompareConfig,
                          shared: Cost, train_prompts=None) -> list[Selection]:
    """Each trained arm's learning rate: every `compare.lr_grid` value trained with `select_seed` and scored
    greedily on the validation split; the best `select_metric` wins (drift_core.compare.selection.choose). The
    test split is never read here. A one-value grid selects nothing (that value is used)."""
    trained = [arm for arm in plan if arm.name in weighted or arm.method == ONLINE_GRPO]
    if len(compare.lr_grid) < 2 or not trained:
        return []
    k = int(compare.select_metric.split("@")[1])
    if k > cfg.protocol.max_turns:
        raise DriftError(f"compare.select_metric {compare.select_metric}: k is above protocol.max_turns "
                         f"({cfg.protocol.max_turns})")
    validation = run_stage(prompts_task, ws, cfg.eval_prompts.model_copy(update={"split": compare.validation_split}),
                           stage_name="validation-prompts")
    selections = []
    for arm in trained:
        scores = {}
        for lr in compare.lr_grid:
            record = run_arm(ws, arm, compare.select_seed, reference, weighted.get(arm.name), validation,
                             cfg.protocol, cfg.train.model_copy(update={"learning_rate": lr}), cfg.eval,
                             max_steps=compare.max_steps, shared=shared, sampled_temperature=None,
                             purpose="validation", train_prompts=train_prompts, grpo=cfg.grpo, rollout=cfg.rollout,
                             runner=cfg.runner)
            scores[lr] = record["greedy"].get(compare.select_metric)
        selections.append(Selection(arm.name, compare.select_metric, scores, choose(scores),
                                    int(validation.metrics.get("prompts", 0))))
    return selections
