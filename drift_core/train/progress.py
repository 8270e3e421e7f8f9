"""Training progress through drift_core.progress when a display is installed (`drift run`'s terminal view).

transformers' own ProgressCallback (a tqdm bar plus a printed dict per log) and PrinterCallback write to
the terminal by themselves and would tear that display, so they make way for `StepBar`. Without a
display nothing changes: the single `drift train` command keeps transformers' bar.
"""

from __future__ import annotations

from transformers import TrainerCallback

from drift_core import progress


def show_progress(trainer, samples) -> None:
    """Report `trainer`'s steps to the installed display, if any (`samples`: what it trains on)."""
    if not progress.active():
        return
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(StepBar(sum(len(s) for s in samples)))


class StepBar(TrainerCallback):
    """Optimizer steps (steps/s, ETA), tokens/s and the last logged loss.

    The callback never sees a batch, so tokens are estimated: the tokens of one epoch (prompt + target
    of every sample, no padding) times the epochs done (`state.epoch` is fractional), i.e. exact on average.
    """

    def __init__(self, tokens_per_epoch: int):
        self.tokens_per_epoch = tokens_per_epoch
        self.bar = None
        self.steps = self.tokens = 0

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self.bar = progress.bar(state.max_steps, "train", unit="step")

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            tokens = round(self.tokens_per_epoch * (state.epoch or 0.0))
            self.bar.update(state.global_step - self.steps, tokens=tokens - self.tokens)
            self.steps, self.tokens = state.global_step, tokens

    def on_log(self, args, state, control, logs=None, **kwargs):
        if self.bar is not None and logs and "loss" in logs:
            self.bar.update(0, loss=float(logs["loss"]))

    def on_train_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def show_grpo_progress(trainer, stats) -> None:
    """GRPO steps to the installed display, if any; `stats`: the rollout's RolloutStats (tokens, return)."""
    if not progress.active():
        return
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    trainer.add_callback(GrpoStepBar(stats))


class GrpoStepBar(StepBar):
    """Optimizer steps with the generated tokens/s (counted, not estimated) and the latest batch's mean return."""

    def __init__(self, stats):
        super().__init__(0)
        self.stats = stats

    def on_step_end(self, args, state, control, **kwargs):
        if self.bar is not None:
            tokens = self.stats.generated_tokens
            shown = {} if self.stats.mean_return is None else {"reward": self.stats.mean_return}
            self.bar.update(state.global_step - self.steps, tokens=tokens - self.tokens, **shown)
            self.steps, self.tokens = state.global_step, tokens
