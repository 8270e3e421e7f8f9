"""How the comparison runs an arm and a mapped stage: the pipeline's cached tasks, more MLflow nesting.

An arm x seed is the pipeline's own tasks (train, evaluate greedy, evaluate T=1), each cached on its
content, under one MLflow run per arm x seed that is nested in the comparison's parent run; the
stages' runs nest one level further down. Nothing here computes: drift_core/compare/ does.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from drift_core.compare.arms import ONLINE_GRPO, ROLLOUT, UNTRAINED, WEIGHTED_SFT, Arm, budget, sampled_eval
from drift_core.compare.cost import Cost, of_online, of_training
from drift_core.compare.summary import figures
from drift_core.config import EvalConfig, GrpoConfig, ProtocolConfig, RolloutConfig, RunnerConfig, TrainConfig
from drift_core.errors import DriftError
from drift_core.stages.model import ModelRef
from tasks import tracking
from tasks.evaluate import EvalResult, evaluate_task
from tasks.grpo import grpo_task
from tasks.logs import run_logger
from tasks.prompts import PromptsResult
from tasks.rounds import drift_round
from tasks.stage import StageResult, current, results_dir, run_stage
from tasks.train import train_task
from tasks.weights import WeightsResult


@contextmanager
def nested_run(name: str, tags: dict[str, str]):
    """An MLflow run under the current parent; stages run inside it nest under it. Yields its id."""
    from mlflow.tracking import MlflowClient

    s = current()
    client = MlflowClient()
    exp = client.get_experiment_by_name(tracking.EXPERIMENT)
    run_tags = {"mlflow.runName": name, **tags}
    if s.parent_run_id:
        run_tags["mlflow.parentRunId"] = s.parent_run_id
    run_id = client.create_run(exp.experiment_id, tags=run_tags, run_name=name).info.run_id
    outer, s.parent_run_id = s.parent_run_id, run_id
    status = "FAILED"
    try:
        yield run_id
        status = "FINISHED"
    finally:
        s.parent_run_id = outer
        client.set_terminated(run_id, status=status)


def log_metrics(run_id: str, metrics: dict[str, float | None], params: dict | None = None) -> None:
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    now = int(time.time() * 1000)
    ms = [Metric(tracking.metric_name(k), float(v), now, 0) for k, v in metrics.items() if v is not None]
    ps = [Param(k, v) for k, v in tracking.flatten(params or {}).items()]
    for i in range(0, max(len(ms), len(ps), 1), 100):
        MlflowClient().log_batch(run_id, metrics=ms[i : i + 100], params=ps[i : i + 100])


def run_arm(workspace: str, arm: Arm, seed: int, reference: ModelRef, weighted: WeightsResult | None,
            test_prompts: PromptsResult, protocol: ProtocolConfig, train: TrainConfig, eval_cfg: EvalConfig,
            *, max_steps: int, sampled_temperature: float | None, shared: Cost | None = None,
            purpose: str = "test", train_prompts: PromptsResult | None = None,
            grpo: GrpoConfig | None = None, rollout: RolloutConfig | None = None,
            validation: PromptsResult | None = None, runner: RunnerConfig | None = None) -> dict:
    """Train (by the arm's method; an untrained arm is the reference itself) and evaluate one arm with one
    seed; returns its record.

    Every trained arm gets the same `max_steps` (and the train section's batch size), so each sees
    the same number of samples whatever its dataset's size. `purpose` 'validation' names the stages
    and the MLflow run of a learning-rate selection run (scored on the validation split).

    Cost (drift_core/compare/cost.py): `shared` is the reference rollout's, counted whole by every arm that
    reads it. An arm with rounds (docs/design.md §10, "Rounds") runs rounds 2.. from `train_prompts` with the
    `rollout` section, each with max_steps, and adds each round's cost; on test its earlier rounds' models are
    evaluated greedily too (record['rounds']: figures and cost so far, by round). The online-grpo arm
    (docs/design.md §10) trains on `train_prompts` with the `grpo` section as given (its token budget, step cap
    and checkpoints: drift_core/compare/online.py) at the train config's (selected) learning rate, scoring its
    checkpoints on `validation`; its generation is its own sampling (record['online']: budget, what stopped
    it, the validation curve). `runner` places the later rounds' rollout shards (tasks/shards.py), as it does
    the reference rollout's.
    """
    label = f"{arm.name}.s{seed}"
    title = f"arm {arm.name} seed {seed}"
    if purpose != "test":
        label += f".lr{train.learning_rate:g}.{purpose}"
        title += f" lr {train.learning_rate:g} ({purpose})"
    tags = {"drift.arm": arm.name, "drift.seed": str(seed), "drift.purpose": purpose}
    with nested_run(title, tags) as run_id:
        cost = (shared or Cost()) if arm.data == ROLLOUT else Cost()
        model, rounds, extra = reference, [], {}
        if arm.method == WEIGHTED_SFT:
            cfg = budget(train, max_steps, seed)
            trained = run_stage(train_task, workspace, weighted, reference, protocol, cfg, stage_name=f"train.{label}")
            model, cost = trained.model, cost + of_training(trained.metrics)
            for k in range(2, arm.rounds + 1):
                if train_prompts is None or rollout is None:
                    raise DriftError(f"arm {arm.name}: rounds need train_prompts and the rollout section")
                if purpose == "test":  # round k-1's model, scored as the final one is (greedy, test set)
                    rounds.append(_round_record(k - 1, workspace, model, test_prompts, protocol, eval_cfg, cost,
                                                f"eval.{label}.round{k - 1}"))
                r = drift_round(workspace, k, model, train_prompts, protocol, rollout, arm.weights, cfg,
                                suffix=f".{label}.round{k}", runner=runner)
                model, cost = r.model, cost + r.cost
        elif arm.method == ONLINE_GRPO:
            if train_prompts is None or grpo is None:
                raise DriftError(f"arm {arm.name}: run_arm needs train_prompts and the grpo section")
            online = grpo.model_copy(update={"seed": seed, "learning_rate": train.learning_rate})
            trained = run_stage(grpo_task, workspace, train_prompts, reference, protocol, online,
                                validation if online.checkpoints else None, eval_cfg if online.checkpoints else None,
                                stage_name=f"grpo.{label}")
            model, cost = trained.model, of_online(trained.metrics)
            extra["online"] = {"token_budget": trained.token_budget, "stopped_by": trained.stopped_by,
                               "steps": int(trained.metrics.get("global_step", 0)),
                               "checkpoint_seconds": trained.metrics.get("checkpoint_seconds", 0.0),
                               "checkpoints": trained.checkpoints}
        elif arm.method != UNTRAINED:  # a method the registry knows but this runner does not (yet)
            raise DriftError(f"arm {arm.name}: drift compare cannot train with method {arm.method!r}")
        greedy = run_stage(evaluate_task, workspace, model, test_prompts, protocol, eval_cfg,
                           stage_name=f"eval.{label}")
        t1: EvalResult | None = None
        if sampled_temperature:
            t1 = run_stage(evaluate_task, workspace, model, test_prompts, protocol,
                           sampled_eval(eval_cfg, sampled_temperature, seed),
                           stage_name=f"eval-t1.{label}")
        record = {
            "arm": arm.name, "seed": seed, "model": model.path, "learning_rate": train.learning_rate,
            "greedy": figures(greedy.metrics, protocol.max_turns),
            "t1": figures(t1.metrics, protocol.max_turns) if t1 else None,
            **cost.record(),  # rollout_tokens = generated tokens: the shared rollout's (+ later rounds'), or its own
            "test_problems": int(greedy.metrics.get("num_problems", 0)),
            # the greedy evaluation's own time (not the arm's cost): the wall-time estimate's rate per problem
            "eval_seconds": float(greedy.metrics.get("seconds", 0.0)),
            **extra,
        }
        if rounds:
            rounds.append({"round": arm.rounds, "greedy": record["greedy"], **cost.record()})
            record["rounds"] = rounds
            tracking.log_rounds(run_id, [{"round": r["round"], **r["greedy"], **_known(r)} for r in rounds])
        flat = {f"greedy.{k}": v for k, v in record["greedy"].items()}
        flat |= {f"t1.{k}": v for k, v in (record["t1"] or {}).items()}
        flat |= cost.record()
        trains = arm.method != UNTRAINED
        params = {"arm": arm.name, "seed": seed, "max_steps": max_steps if trains else 0, "purpose": purpose,
                  "learning_rate": train.learning_rate if trains else 0, "rounds": arm.rounds,
                  "weights": arm.weights.model_dump(mode="json") if arm.weights else "none"}
        log_metrics(run_id, flat, params)
    shown = [f"{k} {v:.3f}" for k, v in record["greedy"].items() if v is not None and k.startswith("multi@")]
    run_logger().info("%s: greedy %s", title, " · ".join(shown) or "-")
    return record


def _round_record(k: int, workspace: str, model: ModelRef, prompts: PromptsResult, protocol: ProtocolConfig,
                  eval_cfg: EvalConfig, cost: Cost, stage_name: str) -> dict:
    """An earlier round's model scored greedily (Cached where another arm trained the same model, e.g. the
    drift arm's round 1), with the cost up to it."""
    scored = run_stage(evaluate_task, workspace, model, prompts, protocol, eval_cfg, stage_name=stage_name)
    return {"round": k, "greedy": figures(scored.metrics, protocol.max_turns), **cost.record()}


def _known(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("round", "greedy") and v is not None}


def map_stage(task, name: str, labels: list[str], *args) -> list[StageResult]:
    """`task.map(*args)` as a pipeline stage: one cached task run per label, each logged to MLflow.

    Arguments that are lists are mapped (one element per label); wrap the rest in prefect's
    `unmapped`. Waits for every mapped run, so the next stage can map over the results.
    """
    s = current()
    configured = task.with_options(name=name, result_storage=results_dir(s.workspace), refresh_cache=s.refresh)
    futures = configured.map(*args)
    results = []
    started = time.time()  # mapped runs go one at a time (max_workers=1): each starts when the last ended
    for label, fut in zip(labels, futures, strict=True):
        fut.wait()
        state = fut.state
        result = state.result()  # raises the task's exception when it failed
        stage = f"{name}.{label}"
        s.states[stage] = state.name
        ended = time.time()
        run_logger().info("%s: %s in %.1f s", stage, state.name, ended - started)
        tracking.log_stage(stage, result, cached=state.name == "Cached", task_run_id=str(fut.task_run_id),
                           parent_run_id=s.parent_run_id, span=(started, ended))
        started = ended
        results.append(result)
    return results


def facts(reference: ModelRef, train_prompts: PromptsResult, test_prompts: PromptsResult,
          samples: StageResult | None, weighted: dict[str, WeightsResult], train: TrainConfig, max_steps: int,
          rollout_n: int, seconds: float, lr_chosen: bool = False, grpo: GrpoConfig | None = None,
          online_multiple: float | None = None) -> dict[str, str]:
    """What a reader needs beside the table: data sizes, budget, where the weight went, wall time."""
    import os

    import torch

    out = {
        "reference model": f"`{_shown(reference.path)}` (content fingerprint {reference.fingerprint})",
        "data": f"{int(train_prompts.metrics.get('prompts', 0))} train prompts; "
                f"{int(test_prompts.metrics.get('prompts', 0))} held-out test problems",
        "test noise": "95% interval of one share near 0.5 on these problems: ± "
                      f"{_half_width(int(test_prompts.metrics.get('prompts', 0))):.3f} (Wilson); seeds vary "
                      "training and T=1 sampling, never the problems: every arm is scored on the same ones",
        "budget per trained arm": f"{max_steps} optimizer steps x batch "
                                  f"{train.per_device_train_batch_size * train.gradient_accumulation_steps} = "
                                  f"{max_steps * train.per_device_train_batch_size * train.gradient_accumulation_steps}"
                                  " samples seen, "
                                  + ("lr chosen per arm on validation (below)" if lr_chosen  # not train.learning_rate
                                     else f"lr {train.learning_rate:g}") + f" ({train.lr_scheduler_type})",
    }
    if grpo is not None:
        until = (f"until it has generated {grpo.token_budget:,} tokens ({online_multiple:g} x the reference rollout's) "
                 f"or {grpo.max_steps} steps, whichever comes first"
                 if grpo.token_budget else f"{grpo.max_steps} steps (no rollout arm to set a token budget)")
        out["online-grpo"] = (f"{until}; {grpo.trajectories_per_step} trajectories sampled online per step "
                              f"({grpo.prompts_per_step} prompts x {grpo.num_generations}), KL beta {grpo.beta:g}, "
                              f"reward = the return at gamma {grpo.gamma:g}; its rollout tokens are its own samples; "
                              + (f"greedy validation multi@k on up to {grpo.checkpoint_prompts} validation problems at "
                                 f"{grpo.checkpoints} checkpoints (and before its first step), scoring time left "
                                 "out of its cost" if grpo.checkpoints else "no checkpoints"))
    if samples is not None:
        m = samples.metrics
        out["rollouts"] = (f"{int(m.get('trajectories', 0))} trajectories (n={rollout_n} per prompt), "
                           f"sampled multi@1 {m.get('ref_multi_at_1', float('nan')):.3f}")
    for name, w in weighted.items():
        m = w.metrics
        bits = [f"beta {m['beta']:.3g}" if "beta" in m else None,
                f"all-fail prompts {m['all_fail_prompts'] / m['prompts']:.2f}" if m.get("prompts") else None,
                f"weight on solved {m['success_weight_share']:.2f}" if "success_weight_share" in m else None,
                f"on all-fail prompts {m['all_fail_weight_share']:.2f}" if "all_fail_weight_share" in m else None,
                f"mean ESS/n {m['mean_ess_fraction']:.2f}" if "mean_ess_fraction" in m else None,
                f"zero-weight share {m['zero_weight_share']:.2f}" if "zero_weight_share" in m else None]
        out[f"weights of {name}"] = ", ".join(b for b in bits if b)
    out["wall time"] = f"{seconds / 60:.1f} min on {os.cpu_count()} CPU cores ({torch.get_num_threads()} torch threads)"
    return out


def log_files(files, artifact_path: str) -> None:
    """Artifacts of the active (parent) MLflow run."""
    import mlflow

    for f in files:
        mlflow.log_artifact(str(f), artifact_path)


def _half_width(n: int) -> float:
    from drift_core.stats import wilson_interval

    if n <= 0:
        return float("nan")
    # Widest at p = 1/2; binomtest needs a whole count, so n // 2 (a hair narrower for odd n).
    lo, hi = wilson_interval(n // 2, n)
    return (hi - lo) / 2


def _shown(path: str) -> str:
    """A path under the working directory as a relative one (what a reader of the results page has)."""
    from pathlib import Path

    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
