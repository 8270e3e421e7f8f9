"""Part 3, pipeline: the tiny world (size test) through prompts -> rollout -> weights -> train -> eval with the
stage functions (drift_core.stages), on the device; multi@k of the trained model vs the reference.
Where DuckDB does not import (the GPU machine has none unless carried), the DuckDB stages are replaced
by documented fallbacks (benchmarks/gpu_check/fallback.py) and the output says so: rollout = run_episodes
on the hf engine, weights = the in-script formula of docs/design.md §1 (`drift_weights`), train =
drift_core.train.train on the rows, eval = greedy run_episodes + multi@k in Python (also when scipy is
missing). With DuckDB the fallback formula is also run on the stored trajectories and compared with the
SQL weights (benchmarks/gpu_check/pipeline_db.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from benchmarks.gpu_check.env import importable
from benchmarks.gpu_check.fallback import eval_fallback, pipeline_fallback
from benchmarks.gpu_check.log import log
from benchmarks.gpu_check.pipeline_db import pipeline_db
from benchmarks.gpu_check.timed import timed


def pipeline_config(args, root: Path):
    """The embedded tiny default (configs/tiny.yaml), on the chosen device, with the hf engine."""
    from drift_core.config import load_config

    sets = [f"workspace={root}", "rollout.engine=hf", "eval.engine=hf", f"rollout.device={args.device}",
            f"eval.device={args.device}", f"rollout.n={args.pipeline_n}"]
    if args.pipeline_train_steps:
        sets.append(f"train.max_steps={args.pipeline_train_steps}")
    return load_config(None, overrides=sets)


def part_pipeline(args, work: Path, res: dict) -> None:
    from drift_core.prompts import load_prompt_set
    from drift_core.tiny_world import build, read_card, tiny_world_dir

    root = work / "ws"
    cfg = pipeline_config(args, root)
    world = tiny_world_dir(root)
    stages: dict = {}
    res["stages"] = stages
    if args.tiny_world and read_card(args.tiny_world):
        timed(stages, "tiny_world", "copied", lambda: shutil.copytree(args.tiny_world, world, dirs_exist_ok=True))
    else:
        timed(stages, "tiny_world", "built (size test)", lambda: build(world, size="test", progress=False))
    have_db = importable("duckdb")
    have_eval = have_db and importable("scipy")
    res["skipped"] = []
    if not have_db:
        res["skipped"].append("duckdb does not import: rollout, weights and train run outside the warehouse; "
                              "weights stage skipped (no duckdb): used the in-script formula")
    if not have_eval:
        res["skipped"].append(f"eval stage skipped (no {'duckdb' if not have_db else 'scipy'}): greedy "
                              "run_episodes + multi@k in Python")
    for line in res["skipped"]:
        log(f"pipeline: {line}")
    protocol = cfg.protocol
    test_set = load_prompt_set(cfg.eval_prompts, root)
    if have_db:
        run_id, rows, model_ref = pipeline_db(cfg, root, stages, res)
    else:
        run_id, rows = pipeline_fallback(args, cfg, world, load_prompt_set(cfg.prompts, root), stages, res)
    res["rollout_tokens_per_s"] = res["rollout"]["tokens"] / stages["rollout"]["seconds"]
    out_dir = root / "models" / "gpu-check"
    if have_db:
        from drift_core.stages.train import TrainInputs, train_stage
        from drift_core.store import Workspace

        trained = timed(stages, "train", "stage", lambda: train_stage(
            Workspace(root), TrainInputs(rows, model_ref, f"{run_id}-drift"), protocol, cfg.train, out=out_dir,
            progress=False))
        tres, trained_ref = trained.result, trained.model
    else:
        from drift_core.train import train

        tres = timed(stages, "train", "fallback: drift_core.train.train on the rows", lambda: train(
            rows, str(world), cfg.train, out_dir, protocol=protocol, progress=False))
        trained_ref = None
    res["train"] = {"steps": tres.global_step, "samples": tres.samples, "supervised_tokens": tres.supervised_tokens,
                    "supervised_tokens_per_s": tres.supervised_tokens / stages["train"]["seconds"],
                    "final_loss": tres.train_loss[-1][1] if tres.train_loss else None}
    res["eval"] = {}
    for name, model in (("reference", str(world)), ("trained", str(out_dir))):
        if have_eval:
            from drift_core.stages.evaluate import evaluate_stage
            from drift_core.stages.model import ModelRef
            from drift_core.store import Workspace

            ref = ModelRef.of(model, Workspace(root)) if name == "reference" else trained_ref
            ev = timed(stages, f"eval_{name}", "stage", lambda ref=ref: evaluate_stage(
                Workspace(root), ref, test_set, protocol, cfg.eval, progress=False))
            metrics = {k: v for k, v in ev.metrics.items() if k.startswith("multi@")}
        else:
            metrics = timed(stages, f"eval_{name}", "fallback: greedy run_episodes + multi@k in Python",
                            lambda model=model: eval_fallback(cfg, model, test_set))
        res["eval"][name] = metrics
    k = f"multi@{protocol.max_turns}"
    res["multi_delta"] = {m: res["eval"]["trained"][m] - res["eval"]["reference"][m] for m in res["eval"]["trained"]}
    log(f"pipeline: {k} reference {res['eval']['reference'][k]:.3f}, trained {res['eval']['trained'][k]:.3f}")
