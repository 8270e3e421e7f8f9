"""Online multi-turn GRPO (docs/design.md §10): the `grpo` section, read by `drift grpo` and the compare arm
`online-grpo`.

Not a stage of `drift run`: the online baseline offline DRIFT is compared with. The episode itself (turns,
feedback, verifier, max_turns, format and repeat penalties) is the `protocol` section's, so both arms score
the same episodes the same way; only the settings of the online optimisation live here. Defaults are TRL's
GRPO defaults except where a help text says otherwise.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from drift_core.config.base import SPEED_ONLY, StageConfig


class GrpoConfig(StageConfig):
    """TRL GRPOTrainer on the project's own episodes; the reward is the trajectory's return (sql/returns.sql)."""

    learning_rate: float = Field(
        1e-5, gt=0.0,
        description="Peak learning rate of `drift grpo` (TRL's default is 1e-6, too small for the tiny world's few "
        "steps). In `drift compare` the online-grpo arm takes its rate from compare.lr_grid like every trained arm.",
    )
    beta: float = Field(
        0.0, ge=0.0,
        description="KL coefficient towards the frozen reference. 0 (TRL's default): verifiable-reward GRPO as in "
        "DAPO and Dr. GRPO, no reference copy loaded (memory and one forward pass per step saved), and the same "
        "footing as the offline arms, whose loss has no KL term either. 0.04 is DeepSeekMath's value. Not the "
        "DRIFT weight temperature weights.beta.",
    )
    num_generations: int = Field(
        8, ge=2,
        description="Trajectories per prompt: the GRPO group (rollout.n of the offline arms). Advantages are "
        "returns minus their group's mean, so a group needs at least 2.",
    )
    max_steps: int = Field(
        100, ge=1,
        description="Optimizer steps of `drift grpo`; each samples a fresh batch with the current policy. With a "
        "token_budget, its safety cap. In `drift compare` the arm runs until its token budget, capped at "
        "compare.online_max_steps.",
    )
    token_budget: int | None = Field(
        None, ge=1,
        description="Stop once the policy has generated at least this many tokens (checked after each optimizer "
        "step, so the run ends at the first step that reaches it); max_steps stays a safety cap, and the summary's "
        "`stopped_by` says which ended the run. None: run max_steps. In `drift compare` the online-grpo arm's "
        "budget is compare.online_token_multiple x the reference rollout's generated tokens (docs/design.md §10).",
    )
    checkpoints: int = Field(
        0, ge=0,
        description="Greedy validation multi@k of the policy at this many evenly spaced points of the run (every "
        "1/checkpoints of token_budget, or of max_steps without one; the last at the end), plus one before the "
        "first step. Needs validation problems (drift compare gives its validation split); 0: none.",
    )
    checkpoint_prompts: int = Field(
        100, ge=1,
        description="Validation problems scored at each checkpoint (the first of the split): their cost is "
        "measured apart and not counted as the arm's training time.",
    )
    per_device_train_batch_size: int = Field(
        16, ge=1,
        description="Trajectories per device per micro-batch (TRL counts trajectories, not prompts). "
        "per_device_train_batch_size x gradient_accumulation_steps must be a multiple of num_generations: a step "
        "holds whole groups (16 = 2 prompts x 8).",
    )
    gradient_accumulation_steps: int = Field(1, ge=1, description="Micro-batches per optimizer step.")
    temperature: float = Field(1.0, gt=0.0, description="Sampling temperature of every turn (> 0: GRPO samples).")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling mass of every turn.")
    max_new_tokens: int = Field(
        512, ge=1, description="Maximum tokens the policy generates per assistant turn (rollout.max_new_tokens)."
    )
    gamma: float = Field(
        0.9, gt=0.0, le=1.0,
        description="Per-turn discount of the return that is the reward (sql/returns.sql; the repeat penalty's "
        "scale is protocol.repeat_penalty_lambda). 0.9: weights.gamma's default, the drift arm's.",
    )
    loss_type: Literal["grpo", "dapo", "bnpo", "dr_grpo"] = Field(
        "dapo",
        description="TRL's loss aggregation: dapo (TRL's default) = sum over model tokens / model tokens in the "
        "batch; grpo = per-trajectory token mean; bnpo; dr_grpo (normalised by max_new_tokens).",
    )
    scale_rewards: Literal["group", "batch", "none"] = Field(
        "group", description="Divide advantages by the group's (or batch's) return std; none: mean-centred only."
    )
    epsilon: float = Field(0.2, gt=0.0, description="PPO-style clip range of the importance ratio.")
    num_iterations: int = Field(1, ge=1, description="Optimisation passes over each sampled batch (mu).")
    max_grad_norm: float = Field(1.0, gt=0.0, description="Gradient clipping norm.")
    lr_scheduler_type: str = Field("constant", description="transformers scheduler name.")
    warmup_ratio: float = Field(0.0, ge=0.0, lt=1.0, description="Share of steps spent warming up.")
    weight_decay: float = Field(0.0, ge=0.0, description="AdamW weight decay.")
    seed: int = Field(42, description="Seed of the prompt order, the sampling and the trainer.")
    bf16: bool | Literal["auto"] = Field("auto", description="bf16 training: auto = on when CUDA supports it.")
    generation_batch_size: int = Field(
        256, ge=1, json_schema_extra=SPEED_ONLY,
        description="Rows per generate call of the policy (its KV cache memory); results do not depend on it.",
    )
    logging_steps: int = Field(1, ge=1, json_schema_extra=SPEED_ONLY, description="Log every this many steps.")

    @model_validator(mode="after")
    def _whole_groups(self) -> GrpoConfig:
        batch = self.trajectories_per_step
        if batch % self.num_generations:
            raise ValueError(
                f"per_device_train_batch_size x gradient_accumulation_steps = {batch} trajectories per step is not a "
                f"multiple of num_generations = {self.num_generations}: a step must hold whole groups"
            )
        return self

    @property
    def trajectories_per_step(self) -> int:
        """Trajectories sampled per optimizer step on one process (TRL's generation batch)."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps

    @property
    def prompts_per_step(self) -> int:
        return self.trajectories_per_step // self.num_generations
