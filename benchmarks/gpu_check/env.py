"""The machine's facts: Python, torch and transformers versions, the device, and which modules import."""

from __future__ import annotations

import importlib
import platform

# Imported by every part (drift_core.config is pydantic + yaml; chat templates need jinja2; a wrong answer is
# checked by math-verify). duckdb and scipy are optional: without them the pipeline takes its fallbacks.
REQUIRED = ("torch", "transformers", "accelerate", "pyarrow", "pydantic", "yaml", "jinja2", "tqdm", "math_verify")
OPTIONAL = ("duckdb", "scipy", "flash_attn", "peft")


def importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # ImportError, or a broken binary (a CUDA build beside a CPU torch, ...)
        return False
    return True


def environment(args) -> dict:
    import torch
    import transformers

    env = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
           "device": args.device, "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
           "torch_threads": torch.get_num_threads(), "simulated_missing": args.hide,
           "modules": {mod: importable(mod) for mod in REQUIRED + OPTIONAL}}
    return env
