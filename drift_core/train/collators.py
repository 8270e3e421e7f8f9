"""Batch builders: right padding (the reference's layout) and packing (several samples per row).

Both emit the same loss inputs, so one loss serves both layouts:
    labels     [B, T]  token id where the loss applies, -100 elsewhere (prompt, padding)
    sample_ids [B, T]  index into `weights` of the sample a token belongs to, -1 for padding
    weights    [S]     one weight per sample of the batch (S = B when padded)
"""

from __future__ import annotations

import torch

from drift_core.train.data import Sample

IGNORE = -100


class PaddingCollator:
    """One sample per row, right-padded to the longest row of the batch."""

    def __init__(self, pad_token_id: int):
        self.pad = pad_token_id

    def __call__(self, batch: list[Sample]) -> dict[str, torch.Tensor]:
        width = max(len(s) for s in batch)
        b = len(batch)
        input_ids = torch.full((b, width), self.pad, dtype=torch.long)
        attention = torch.zeros((b, width), dtype=torch.long)
        labels = torch.full((b, width), IGNORE, dtype=torch.long)
        sample_ids = torch.full((b, width), -1, dtype=torch.long)
        for r, s in enumerate(batch):
            n_p, n = len(s.prompt_ids), len(s)
            input_ids[r, :n] = torch.tensor(s.prompt_ids + s.target_ids)
            attention[r, :n] = 1
            labels[r, n_p:n] = torch.tensor(s.target_ids)
            sample_ids[r, :n] = r
        return {
            "input_ids": input_ids,
            "attention_mask": attention,
            "labels": labels,
            "sample_ids": sample_ids,
            "weights": torch.tensor([s.weight for s in batch], dtype=torch.float32),
        }


class PackingCollator:
    """All samples of the batch's packs concatenated into ONE row, isolated from each other.

    position_ids restart at 0 for every sample, so rotary positions match the unpacked layout.
    `block_mask=True` adds a block-diagonal causal mask [1, 1, T, T] (bool, True = may attend)
    for sdpa/eager attention; flash-attention instead derives varlen boundaries from the
    position_ids resets (no T x T mask is materialised), so it is built without the mask.
    """

    def __init__(self, block_mask: bool = True):
        self.block_mask = block_mask

    def __call__(self, packs: list[list[Sample]]) -> dict[str, torch.Tensor]:
        samples = [s for p in packs for s in p]
        ids: list[int] = []
        pos: list[int] = []
        labels: list[int] = []
        sids: list[int] = []
        for k, s in enumerate(samples):
            ids += s.prompt_ids + s.target_ids
            pos += range(len(s))
            labels += [IGNORE] * len(s.prompt_ids) + s.target_ids
            sids += [k] * len(s)
        out = {
            "input_ids": torch.tensor([ids]),
            "position_ids": torch.tensor([pos]),
            "labels": torch.tensor([labels]),
            "sample_ids": torch.tensor([sids]),
            "weights": torch.tensor([s.weight for s in samples], dtype=torch.float32),
        }
        if self.block_mask:
            seg = out["sample_ids"][0]  # [T]
            t = seg.numel()
            causal = torch.ones((t, t), dtype=torch.bool).tril_()
            out["attention_mask"] = (causal & (seg[:, None] == seg[None, :]))[None, None]  # [1, 1, T, T]
        return out
