"""The tiny-world result table: DRIFT against its baselines on one set of reference rollouts.

    drift compare                     # default size (< 45 min on 2 CPU cores); writes benchmarks/results/tiny_world.md
    drift compare --quick             # CI size: test tiny world, 2 seeds, 2 steps (figures are noise)
    drift compare --set compare.seeds=[0,1,2,3,4] --set train.learning_rate=5e-5

Arms: reference (no training), gold-sft, uniform, rft, drift, drift-ext; every trained arm gets the
same optimizer steps. Each arm x seed is the pipeline's cached train/evaluate tasks under one MLflow
run; a rerun recomputes only what changed.
"""

# No `from __future__ import annotations`: Prefect builds its parameter model from these annotations.
import time

import yaml
from prefect import flow

from drift_core.compare import aggregate, arms, run_tokens, set_threads, write_results
from drift_core.config import EvalConfig, PromptsConfig, ProtocolConfig, RolloutConfig, TrainConfig, load_config
from drift_core.config.compare import DEFAULT_PIPELINE, CompareConfig
from drift_core.store import Workspace
from flows.setup import flow_setup
from tasks import tracking
from tasks.compare import facts, log_files, run_arm
from tasks.gold_sft import gold_sft_task
from tasks.rollout import rollout_task
from tasks.stage import run_stage
from tasks.weights import weights_task

FLOW_NAME = "drift-compare"
DEFAULT = load_config(None, DEFAULT_PIPELINE)  # the parameters' defaults = `drift compare`'s


@flow(name=FLOW_NAME, log_prints=True)
def drift_compare(
    workspace: str = DEFAULT.workspace,
    protocol: ProtocolConfig = DEFAULT.protocol,
    prompts: PromptsConfig = DEFAULT.prompts,
    eval_prompts: PromptsConfig = DEFAULT.eval_prompts,
    rollout: RolloutConfig = DEFAULT.rollout,
    train: TrainConfig = DEFAULT.train,
    eval: EvalConfig = DEFAULT.eval,
    compare: CompareConfig = CompareConfig(),  # noqa: B008 (a pydantic default, not a call per use)
    command: str = "drift compare",
    refresh: bool = False,
) -> dict:
    """Prompts -> one rollout -> a weighting per arm -> train + evaluate each arm x seed -> table."""
    t0 = time.perf_counter()
    config = tracking.plain({"workspace": workspace, "protocol": protocol, "prompts": prompts,
                             "eval_prompts": eval_prompts, "rollout": rollout, "train": train, "eval": eval,
                             "compare": compare})
    set_threads(compare.threads)
    plan = arms(compare)
    with flow_setup(workspace, config, rollout=rollout, prompts=prompts, eval_prompts=eval_prompts, refresh=refresh,
                    run_name=f"compare ({compare.label})") as setup:
        ws, reference = setup.ws, setup.reference
        train_prompts, test_prompts = setup.train_prompts, setup.test_prompts
        data = {}
        if any(a.data == "rollout" for a in plan):
            data["rollout"] = run_stage(rollout_task, ws, train_prompts, reference, protocol, rollout)
        if any(a.data == "gold" for a in plan):
            data["gold"] = run_stage(gold_sft_task, ws, train_prompts, protocol)
        weighted = {a.name: run_stage(weights_task, ws, data[a.data], a.weights, stage_name=f"weights.{a.name}")
                    for a in plan if a.weights is not None}
        tokens = run_tokens(Workspace(ws), data["rollout"].run_id) if "rollout" in data else 0
        records = [
            run_arm(ws, arm, seed, reference, weighted.get(arm.name), test_prompts, protocol, train, eval,
                    max_steps=compare.max_steps, rollout_tokens=tokens,
                    sampled_temperature=compare.sampled_temperature if compare.sampled else None)
            for seed in compare.seeds for arm in plan
        ]
        summary = aggregate(records, list(compare.arms), protocol.max_turns)
        about = {a.name: a.about for a in plan}
        notes = facts(reference, train_prompts, test_prompts, data.get("rollout"), weighted, train,
                      compare.max_steps, rollout.n, time.perf_counter() - t0)
        files = write_results(summary, compare.output, title=f"Tiny-world result table ({compare.label})",
                              command=command, config_yaml=yaml.safe_dump(config, sort_keys=False), about=about,
                              facts=notes)
        tracking.log_summary(summary.flat_metrics(), tags={"drift.flow": FLOW_NAME})
        log_files(files, "compare")
        result = setup.result() | {"files": [str(f) for f in files], "summary": summary.flat_metrics(),
                                   "records": records}
    return result


def run_compare(cfg, compare: CompareConfig, command: str, refresh: bool = False) -> dict:
    """Call the flow with a PipelineConfig's sections (what `drift compare` does)."""
    return drift_compare(workspace=cfg.workspace, protocol=cfg.protocol, prompts=cfg.prompts,
                         eval_prompts=cfg.eval_prompts, rollout=cfg.rollout, train=cfg.train, eval=cfg.eval,
                         compare=compare, command=command, refresh=refresh)
