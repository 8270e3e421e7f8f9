"""The weighted SFT trainer: transformers' Trainer with its loss replaced, nothing else.

docs/design.md §1: loss = per-sample mean token NLL of the target, times the sample's weight, then
    normalize=mean:        sum_i w_i * nll_i / S            (the reference)
    normalize=weight_sum:  sum_i w_i * nll_i / sum_i w_i
over the S samples of the micro-batch. accumulation=mean: the Trainer divides by the gradient
accumulation steps (`loss_is_scaled_for_ga = False`), so an optimizer step averages its micro-batches;
accumulation=sum: it does not (`True`), so they add up, as in the reference's transformers 4.57 run
(docs/training.md, "Gradient accumulation and processes").

Evaluation (the held-out rows) reports sum_i w_i * nll_i / N (mean) or / sum_i w_i (weight_sum) over
the whole eval set, summed per sample and across processes, so it does not depend on the batching.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import Trainer, TrainerCallback

from drift_core.faults import fault_point
from drift_core.train.collators import IGNORE


def weighted_nll(logits: torch.Tensor, labels: torch.Tensor, sample_ids: torch.Tensor,
                 weights: torch.Tensor, normalize: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(loss, per-sample mean NLL [S]) from logits [B, T, V], labels/sample_ids [B, T], weights [S].

    Token t predicts token t+1, so logits drop the last position and labels the first. At a
    packed sample boundary the next sample's first token is a prompt token (label -100), so no
    loss crosses samples.
    """
    logits = logits[:, :-1].float()
    labels = labels[:, 1:]
    sids = sample_ids[:, 1:].reshape(-1)
    nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), labels.reshape(-1), ignore_index=IGNORE,
                          reduction="none")  # [B*(T-1)], 0 where ignored
    on = (labels.reshape(-1) != IGNORE) & (sids >= 0)
    s = weights.numel()
    idx = sids.clamp(min=0)
    sums = torch.zeros(s, device=nll.device, dtype=nll.dtype).index_add(0, idx, nll * on)
    counts = torch.zeros(s, device=nll.device, dtype=nll.dtype).index_add(0, idx, on.to(nll.dtype))
    per_sample = sums / counts.clamp(min=1.0)  # [S] mean NLL over each sample's target tokens
    w = weights.to(per_sample)
    if normalize == "mean":
        return (w * per_sample).mean(), per_sample
    if normalize == "weight_sum":
        total = w.sum().detach()
        scale = 1.0
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            # DDP averages gradients over ranks; dividing by the global weight sum and scaling by
            # the world size makes that average equal sum_all(w*nll) / sum_all(w).
            torch.distributed.all_reduce(total)
            scale = torch.distributed.get_world_size()
        return scale * (w * per_sample).sum() / total.clamp(min=1e-8), per_sample
    raise ValueError(f"unknown normalize '{normalize}'")


class WeightedSFTTrainer(Trainer):
    """Trainer whose loss is the weighted per-sample NLL above; batches come from our collators."""

    def __init__(self, *args, normalize: str = "mean", accumulation: str = "mean", **kwargs):
        super().__init__(*args, **kwargs)
        if accumulation not in ("mean", "sum"):
            raise ValueError(f"unknown accumulation '{accumulation}'")
        self.normalize = normalize
        # mean: our loss is a per-micro-batch mean, so the Trainer divides it by the accumulation steps;
        # sum: it is taken as already scaled, so the micro-batch losses (and gradients) add up.
        self.loss_is_scaled_for_ga = accumulation == "sum"
        self.model_accepts_loss_kwargs = False
        self._eval_sums: list[torch.Tensor] | None = None  # per eval batch: [sum w*nll, sum w, samples]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss, outputs, per_sample = batch_loss(model, inputs, self.normalize)
        if self._eval_sums is not None:
            w = inputs["weights"].to(per_sample)
            self._eval_sums.append(torch.stack([(w * per_sample).sum(), w.sum(), w.new_tensor(w.numel())])
                                   .detach().double())
        return (loss, outputs) if return_outputs else loss

    def evaluation_loop(self, *args, **kwargs):
        """The Trainer's loop, with eval_loss replaced by the exact per-sample figure (module docstring)."""
        self._eval_sums = []
        try:
            output = super().evaluation_loop(*args, **kwargs)
            sums = self._eval_sums
        finally:
            self._eval_sums = None
        device = self.args.device
        total = torch.stack(sums).sum(0).to(device) if sums else torch.zeros(3, dtype=torch.float64, device=device)
        wnll, wsum, n = self.accelerator.reduce(total, reduction="sum").tolist()
        prefix = kwargs.get("metric_key_prefix", args[4] if len(args) > 4 else "eval")
        output.metrics[f"{prefix}_loss"] = wnll / max(wsum if self.normalize == "weight_sum" else n, 1e-8)
        return output


def batch_loss(model, inputs: dict, normalize: str):
    """(weighted loss, model outputs, per-sample mean NLL [S]) of one collated batch (padded or packed)."""
    inputs = dict(inputs)
    weights = inputs.pop("weights")
    sample_ids = inputs.pop("sample_ids")
    labels = inputs.pop("labels")  # popped so the model does not compute its own (unweighted) loss
    mask = inputs.get("attention_mask")
    if mask is not None and mask.dim() == 4:
        inputs["attention_mask"] = _mask_for(model, mask)
    outputs = model(**inputs, use_cache=False)
    loss, per_sample = weighted_nll(outputs.logits, labels, sample_ids, weights, normalize)
    return loss, outputs, per_sample


def _mask_for(model, mask: torch.Tensor) -> torch.Tensor | None:
    """The packed block mask in the form the model's attention kernel wants.

    sdpa takes the bool mask as is; eager adds the mask to the scores, so it needs 0 / -inf in
    the compute dtype; flash-attention takes no mask and reads the position_ids resets instead.
    """
    impl = getattr(getattr(model, "config", None), "_attn_implementation", "sdpa") or "sdpa"
    if "flash" in impl:
        return None
    if impl == "eager":
        dtype = next(model.parameters()).dtype
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, torch.finfo(dtype).min)
    return mask


class FaultPointCallback(TrainerCallback):
    """The fault point `train.after_checkpoint` (docs/reliability.md): reached once a checkpoint is saved."""

    def on_save(self, args, state, control, **kwargs):
        fault_point("train.after_checkpoint")
