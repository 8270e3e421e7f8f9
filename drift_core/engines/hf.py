"""transformers `generate` engine: batched, KV cache, left padding; CPU fp32 or CUDA bf16."""

from __future__ import annotations

import torch

from drift_core.chat import load_causal_lm, load_tokenizer
from drift_core.engines.base import Completion, Engine, Sampling


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, dtype)


class HFEngine(Engine):
    name = "hf"

    def __init__(self, model_path: str, *, device: str = "auto", dtype: str = "auto", batch_size: int = 256):
        self.model_path = model_path
        self.device = resolve_device(device)
        self.tokenizer = load_tokenizer(model_path, padding_side="left")
        # safetensors only (unless --allow-pickle), never the model's own code: drift_core/chat.py
        self.model = load_causal_lm(model_path, dtype=resolve_dtype(dtype, self.device)).to(self.device)
        self.model.eval()
        self.batch_size = batch_size
        # Stop on the chat template's end-of-turn token as well as the model's eos.
        self.eos_ids = sorted({i for i in [self.tokenizer.eos_token_id] if i is not None})

    @torch.inference_mode()
    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        # One row per (prompt, sample); rows of similar length share a batch to waste less padding.
        rows = [(i, s) for i in range(len(prompts)) for s in range(sampling.n)]
        lengths = [len(self.tokenizer(p, add_special_tokens=False).input_ids) for p in prompts]
        rows.sort(key=lambda r: -lengths[r[0]])
        out: list[list[Completion | None]] = [[None] * sampling.n for _ in prompts]
        for b, start in enumerate(range(0, len(rows), self.batch_size)):
            chunk = rows[start : start + self.batch_size]
            enc = self.tokenizer(
                [prompts[i] for i, _ in chunk], return_tensors="pt", padding=True, add_special_tokens=False
            ).to(self.device)
            torch.manual_seed(sampling.seed + b)  # reproducible per call and batch
            gen = self._sample(enc, sampling)
            new = gen[:, enc["input_ids"].shape[1] :]  # [batch, generated]
            for (i, s), ids in zip(chunk, new.tolist(), strict=True):
                n_tok = _count_until_eos(ids, self.eos_ids)
                text = self.tokenizer.decode(ids[:n_tok], skip_special_tokens=True)
                out[i][s] = Completion(text=text, num_tokens=n_tok)
        return out  # type: ignore[return-value]

    def _sample(self, enc, sampling: Sampling) -> torch.Tensor:
        """model.generate on one left-padded batch: prompt and generated ids, [batch, prompt + generated]."""
        greedy = sampling.temperature <= 0
        return self.model.generate(
            **enc,
            do_sample=not greedy,
            temperature=None if greedy else sampling.temperature,
            top_p=None if greedy else sampling.top_p,
            top_k=None,
            max_new_tokens=sampling.max_new_tokens,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.eos_ids,
        )

    def close(self) -> None:
        del self.model
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _count_until_eos(ids: list[int], eos_ids: list[int]) -> int:
    """Generated length: up to and including the first eos; padding after it is not generated."""
    for k, t in enumerate(ids):
        if t in eos_ids:
            return k + 1
    return len(ids)
