"""The run: pick the device, report the environment, run each part in its time budget, and write
<out>/gpu_check.json after every part (so a run cut short still leaves what it measured)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

from benchmarks.gpu_check.cli import parse_args
from benchmarks.gpu_check.device import free_memory
from benchmarks.gpu_check.env import REQUIRED, environment
from benchmarks.gpu_check.log import T0, log
from benchmarks.gpu_check.pipeline import part_pipeline
from benchmarks.gpu_check.report import print_pipeline, print_rollout, print_train
from benchmarks.gpu_check.rollout import part_rollout
from benchmarks.gpu_check.train import part_train


def main(argv=None) -> int:
    args = parse_args(argv)
    for mod in args.hide:
        sys.modules[mod] = None  # `import mod` now raises ImportError, as on a machine without it
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch initialises CUDA: the Trainer would pick the GPU
    import torch

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: CUDA is not available")
    if args.threads is None:
        args.threads = 1 if args.device == "cpu" else 0
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.workdir) if args.workdir else out / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = environment(args)
    result: dict = {"environment": env, "args": vars(args), "parts": {}, "errors": {}}
    log(f"gpu_check on {env['device_name']} (python {env['python']}, torch {env['torch']}, transformers "
        f"{env['transformers']}); " + ", ".join(f"{m} {'yes' if ok else 'NO'}" for m, ok in env["modules"].items()))
    missing = [m for m in REQUIRED if not env["modules"][m]]
    if missing or args.preflight:
        (out / "gpu_check.json").write_text(json.dumps(result, indent=2, default=str))
    if missing:
        log(f"missing required module(s) {', '.join(missing)}: fetch wheels with benchmarks/gpu_check_wheels.sh "
            "and run through benchmarks/gpu_check.sh")
        return 2
    if args.preflight:
        return 0
    runners = {"train": (part_train, print_train), "rollout": (part_rollout, print_rollout),
               "pipeline": (part_pipeline, print_pipeline)}
    for part in args.parts:
        if time.perf_counter() - T0 > args.budget:
            result["errors"][part] = f"skipped: the {args.budget:.0f} s budget is spent"
            log(result["errors"][part])
            continue
        res: dict = {}
        result["parts"][part] = res
        t0 = time.perf_counter()
        try:
            runners[part][0](args, work, res)
            res["wall_seconds"] = time.perf_counter() - t0
            runners[part][1](res)
        except Exception:  # one failed part must not cost the others their device time
            result["errors"][part] = traceback.format_exc()
            log(f"{part} FAILED:\n{result['errors'][part]}")
        result["wall_seconds"] = time.perf_counter() - T0
        (out / "gpu_check.json").write_text(json.dumps(result, indent=2, default=str))
        free_memory()
    if not args.workdir:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)
    log(f"done in {time.perf_counter() - T0:.1f} s; figures in {out / 'gpu_check.json'}")
    return 1 if result["errors"] else 0
