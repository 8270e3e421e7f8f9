"""Weighted SFT (docs/design.md §1): tokenized samples, padding/packing collators, the loss-only Trainer subclass."""

from drift_core.train.data import Sample, build_samples, pack
from drift_core.train.run import TrainResult, train
from drift_core.train.trainer import WeightedSFTTrainer, weighted_nll

__all__ = ["Sample", "TrainResult", "WeightedSFTTrainer", "build_samples", "pack", "train", "weighted_nll"]
