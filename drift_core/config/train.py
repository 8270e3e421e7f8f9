"""Training stage: weighted SFT of the policy on the weighted rollouts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import SPEED_ONLY, StageConfig


class TrainConfig(StageConfig):
    """Weighted SFT settings (defaults follow the reference's run_weight_sft.sh where it sets them)."""

    learning_rate: float = Field(5e-6, gt=0.0, description="Peak learning rate.")
    num_train_epochs: float = Field(1.0, gt=0.0, description="Passes over the weighted training set.")
    per_device_train_batch_size: int = Field(2, ge=1, description="Samples per device per step.")
    gradient_accumulation_steps: int = Field(16, ge=1, description="Micro-batches per optimizer step.")
    lr_scheduler_type: str = Field("constant_with_warmup", description="transformers scheduler name.")
    warmup_ratio: float = Field(0.1, ge=0.0, le=1.0, description="Share of steps spent warming up.")
    weight_decay: float = Field(0.1, ge=0.0, description="AdamW weight decay.")
    max_grad_norm: float = Field(1.0, gt=0.0, description="Gradient clipping norm.")
    max_prompt_length: int = Field(8192, ge=1, description="Prompt tokens kept (left-truncated beyond).")
    max_completion_length: int = Field(512, ge=1, description="Target tokens kept.")
    normalize: Literal["mean", "weight_sum"] = Field(
        "mean", description="mean: batch mean of w*NLL (reference); weight_sum: divide by the sum of weights."
    )
    target: Literal["last", "all"] = Field(
        "last", description="last: the last assistant message; all: every assistant turn, each weighted."
    )
    packing: bool | Literal["auto"] = Field(
        "auto",
        description="Pack several samples per row without cross-attention. auto: on with flash-attention "
        "(CUDA + flash-attn, varlen kernel, no T x T mask), else the reference's padded batches.",
    )
    packing_max_tokens: int = Field(
        4096, ge=16, description="Tokens per packed row (packing); a longer sample gets a row of its own."
    )
    lora: bool = Field(False, description="Train LoRA adapters (peft) instead of all weights.")
    lora_r: int = Field(16, ge=1, description="LoRA rank.")
    lora_alpha: int = Field(32, ge=1, description="LoRA alpha.")
    lora_dropout: float = Field(0.05, ge=0.0, lt=1.0, description="Dropout on the LoRA path.")
    lora_target_modules: list[str] = Field(
        ["q_proj", "k_proj", "v_proj", "o_proj"], description="Module names that get LoRA adapters."
    )
    gradient_checkpointing: bool = Field(
        False, json_schema_extra=SPEED_ONLY, description="Trade compute for activation memory (same results)."
    )
    bf16: bool | Literal["auto"] = Field("auto", description="bf16 training: auto = on when CUDA supports it.")
    seed: int = Field(42, description="Training seed.")
    logging_steps: int = Field(1, ge=1, json_schema_extra=SPEED_ONLY, description="Log every this many steps.")
    save_steps: int = Field(200, ge=1, json_schema_extra=SPEED_ONLY, description="Checkpoint every this many steps.")
    save_total_limit: int = Field(
        2, ge=1, json_schema_extra=SPEED_ONLY, description="Checkpoints kept on disk (older ones are deleted)."
    )
    keep_checkpoints: bool = Field(
        False, json_schema_extra=SPEED_ONLY,
        description="Keep out_dir/checkpoints after training finished (they only serve --resume).",
    )
    max_steps: int | None = Field(
        None, ge=1, description="Stop after this many optimizer steps (overrides num_train_epochs)."
    )
    attn_implementation: Literal["auto", "eager", "sdpa", "flash_attention_2"] = Field(
        "auto", description="Attention kernel: auto = flash_attention_2 on CUDA when installed, else sdpa."
    )
    shuffle: bool = Field(
        True,
        description="Shuffle samples each epoch (seeded). false: the training set's row order (the warehouse's "
        "(prompt_id, sample_idx) order, a --data file's own order), as the reference's --disable_shuffle keeps "
        "its JSONL's order. Reference: false.",
    )
    row_order: Literal["prompt_id", "stored"] = Field(
        "prompt_id",
        description="Order of a run's training rows, before any shuffle and the hold-out (eval_split_ratio "
        "takes the last rows in it): 'prompt_id' = by (prompt_id, sample_idx); 'stored' = as the run stored "
        "them: its prompts in the prompt source's order (after prompts.shuffle and limit), each prompt's "
        "samples 0..n-1, an imported JSONL in its own line order; the reference's JSONL order. A --data file "
        "keeps its own order either way. Reference: stored.",
    )
    tokenize: Literal["apart", "joint"] = Field(
        "apart",
        description="How a sample's prompt and target become token ids: 'apart' = each on its own (as the "
        "engine was given the prompt and generated the target), 'joint' = prompt + target together, the "
        "first as many tokens as the prompt alone has being the prompt (the reference's collator; the two "
        "can differ where a token would span the boundary). Reference: joint.",
    )
    eval_split_ratio: float = Field(
        0.0, ge=0.0, lt=1.0,
        description="Hold out the LAST ceil(ratio x rows) rows of the training set (in its order, before "
        "shuffling) as an eval set, scored with the training loss (eval_loss) at the end and every eval_steps; "
        "as datasets' train_test_split(test_size=ratio, shuffle=False). 0: off. Reference: 0.05.",
    )
    eval_steps: int | None = Field(
        None, ge=1,
        description="Also evaluate the held-out rows every this many optimizer steps (eval_split_ratio > 0); "
        "None: at the end only. Reference: 20.",
    )
    per_device_eval_batch_size: int | None = Field(
        None, ge=1, json_schema_extra=SPEED_ONLY,
        description="Samples per device per eval batch (default: per_device_train_batch_size); the eval loss "
        "is summed over samples, so the batch size does not change it. Reference: 4.",
    )
    train_prefill: bool = Field(
        False,
        description="Put the loss on the protocol's prefill (`<answer>`) too: the prompt ends at the assistant "
        "header and the target is the whole stored message. false: the prefill is part of the prompt, as the "
        "engine was given it at rollout. Reference: true.",
    )
    accumulation: Literal["mean", "sum"] = Field(
        "mean",
        description="How an optimizer step combines its gradient_accumulation_steps micro-batch losses. mean: "
        "each is divided by their number (the step's gradient is their average). sum: added up, as the "
        "reference's transformers 4.57 Trainer does with its loss (gradient and logged loss x the accumulation "
        "steps, so max_grad_norm clips at another point; docs/training.md). Reference: sum.",
    )
