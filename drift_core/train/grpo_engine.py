"""The policy being trained as a rollout engine (docs/design.md §10).

`PolicyEngine` is the transformers engine (drift_core/engines/hf.py: batching, left padding, per-batch seeds,
eos counting) over the GRPOTrainer's current model instead of a model loaded from disk, so the online arm's
episodes go through the same `run_episodes` loop as the rollout stage and the evaluation. Generation follows
TRL's own: the model unwrapped for generation, a copy of the trainer's `generation_config` (the training
run's sampling settings) with this turn's token limit; passing generation keyword arguments instead would
leave the model's own generation_config in charge of the rest.
"""

from __future__ import annotations

import copy

import torch

from drift_core.engines.base import Sampling
from drift_core.engines.hf import HFEngine


class PolicyEngine(HFEngine):
    """Generates with `trainer`'s model as it is at the time of the call (on-policy); temperature 0 decodes
    greedily, as the transformers engine does."""

    name = "policy"

    def __init__(self, trainer, tokenizer, *, batch_size: int = 256):
        # No loading: the trainer holds the model (HFEngine.__init__ would read one from disk).
        self.trainer = trainer
        self.model_path = "<policy>"
        self.tokenizer = tokenizer
        self.device = trainer.accelerator.device
        self.batch_size = batch_size
        self.eos_ids = sorted({i for i in [tokenizer.eos_token_id] if i is not None})

    def _sample(self, enc, sampling: Sampling) -> torch.Tensor:
        from trl.models.utils import unwrap_model_for_generation

        t = self.trainer
        cfg = copy.deepcopy(t.generation_config)
        cfg.max_new_tokens = sampling.max_new_tokens
        if sampling.temperature <= 0:  # greedy: the validation checkpoints (drift_core/train/grpo_checkpoints.py)
            cfg.do_sample, cfg.temperature, cfg.top_p, cfg.top_k = False, 1.0, 1.0, None
        else:
            cfg.temperature, cfg.top_p = sampling.temperature, sampling.top_p
        cfg.eos_token_id = self.eos_ids
        with unwrap_model_for_generation(
            t.model_wrapped, t.accelerator, gather_deepspeed3_params=t.args.ds3_gather_for_generation,
            generation_kwargs=t.generation_kwargs, gradient_checkpointing_kwargs=t.args.gradient_checkpointing_kwargs,
        ) as model, torch.no_grad():
            return model.generate(**enc, generation_config=cfg)

    def close(self) -> None:
        """Nothing to free: the model belongs to the trainer."""
