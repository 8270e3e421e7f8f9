"""Part 1's FLOP accounting (model FLOPs, not kernel FLOPs), unit-tested with hand-computed values:

    FLOPs = 6 * N_mm * tokens  +  12 * L * d_attn * sum_t c_t

N_mm: weights of every matmul (all nn.Linear weights, the lm_head included, even when tied to the
embedding; the embedding lookup, biases and norms are left out); L layers; d_attn = heads * head_dim;
c_t: the keys token t attends to under the causal mask (its position + 1). 6 = 2 FLOPs per
multiply-add x (forward + 2x backward); the attention term is QK^T and AV (2 * 2 * c_t * d_attn
forward per layer, x3 for training). MFU counts the real (non-padding) tokens with c_t = position in
the sample + 1; "MFU incl. padding" counts every position of the batch tensor (c_t = position in the
row + 1), i.e. what the padded layout makes the GPU compute.
"""

from __future__ import annotations

IGNORE = -100


def train_flops(matmul_params: int, layers: int, attn_width: int, tokens: int, context_sum: int) -> float:
    """Training FLOPs of `tokens` tokens: 6 * N_mm * tokens + 12 * L * d_attn * sum_t c_t (see the module docstring)."""
    return 6.0 * matmul_params * tokens + 12.0 * layers * attn_width * context_sum


def matmul_params(model) -> int:
    """N_mm: the weights of every nn.Linear (lm_head included, counted once even when tied)."""
    import torch

    return sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))


def attn_width(config) -> int:
    """d_attn = heads * head_dim (the width QK^T and AV run at; with GQA the K/V projections are narrower)."""
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return config.num_attention_heads * head_dim


def batch_counts(inputs: dict) -> dict[str, int]:
    """Token counts of one collated batch (drift_core.train.collators layout).

    processed: every position of input_ids [B, T] (padding included); real: sample_ids >= 0;
    supervised: labels != -100; ctx_*: sum of (position + 1) over processed / real positions, the
    position being the position_ids (packed: restart per sample) or the index in the row (padded, right
    padding, so a real token's index is its position in its sample).
    """
    import torch

    ids = inputs["input_ids"]
    real = inputs["sample_ids"] >= 0
    pos = inputs.get("position_ids")
    if pos is None:
        pos = torch.arange(ids.shape[1], device=ids.device).expand_as(ids)
    ctx = pos + 1
    return {
        "processed": int(ids.numel()),
        "real": int(real.sum()),
        "supervised": int((inputs["labels"] != IGNORE).sum()),
        "ctx_processed": int(ctx.sum()),
        "ctx_real": int(ctx[real].sum()),
    }
