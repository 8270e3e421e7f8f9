"""`train()`: weighted rows + a model dir -> a fine-tuned model dir (transformers Trainer underneath).

Multi-GPU runs go through `accelerate launch` (FSDP / DeepSpeed ZeRO-3 configs in
configs/accelerate/); this module only builds the Trainer and lets it run.

A model directory appears only complete (docs/reliability.md): training runs in `.<name>.partial` next
to out_dir (checkpoints included, so --resume finds them), and that directory is renamed to out_dir
once the model, tokenizer and drift_train.json are saved and fsync'd.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import torch

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.train import TrainConfig
from drift_core.episode import prefill_text
from drift_core.errors import DriftError
from drift_core.faults import fault_point, fsync_path, write_json
from drift_core.train.collators import PackingCollator, PaddingCollator
from drift_core.train.data import Sample, build_samples, check_rows, pack
from drift_core.train.trainer import FaultPointCallback, WeightedSFTTrainer

log = logging.getLogger(__name__)
CHECKPOINTS = "checkpoints"


@dataclass
class TrainResult:
    out_dir: Path
    global_step: int
    train_loss: list[tuple[int, float]] = field(default_factory=list)  # (optimizer step, logged loss)
    seconds: float = 0.0
    supervised_tokens: int = 0  # loss-bearing tokens seen, summed over epochs
    samples: int = 0  # trained assistant messages in the set (one pass)
    eval_loss: list[tuple[int, float]] = field(default_factory=list)  # (optimizer step, held-out loss)
    eval_samples: int = 0  # assistant messages in the held-out rows (eval_split_ratio)


def use_bf16(cfg: TrainConfig) -> bool:
    if cfg.bf16 == "auto":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if cfg.bf16 and not torch.cuda.is_available():
        raise DriftError("train.bf16=true needs CUDA; use bf16: auto (fp32 on CPU)")
    return bool(cfg.bf16)


def attn_implementation(cfg: TrainConfig) -> str:
    if cfg.attn_implementation != "auto":
        return cfg.attn_implementation
    if torch.cuda.is_available():
        try:
            import flash_attn  # noqa: F401

            return "flash_attention_2"
        except ImportError:
            pass
    return "sdpa"


def load_model(model_path: str, cfg: TrainConfig):
    """The policy to train, LoRA-wrapped when asked. fp32 weights; bf16 runs under autocast."""
    from drift_core.chat import load_causal_lm  # safetensors only unless --allow-pickle; no model code

    model = load_causal_lm(model_path, attn_implementation=attn_implementation(cfg))
    model.config.use_cache = False
    if cfg.lora:
        from peft import LoraConfig, get_peft_model

        names = {n.rsplit(".", 1)[-1] for n, _ in model.named_modules()}
        missing = [m for m in cfg.lora_target_modules if m not in names]
        if missing:
            raise DriftError(f"train.lora_target_modules: the model has no module named {', '.join(missing)}")
        lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                          target_modules=list(cfg.lora_target_modules), task_type="CAUSAL_LM")
        model = get_peft_model(model, lora)
        if cfg.gradient_checkpointing:
            model.enable_input_require_grads()  # checkpointed blocks need a grad-requiring input
    return model


def training_arguments(cfg: TrainConfig, out_dir: Path, progress: bool, evaluate: bool = False):
    from transformers import TrainingArguments

    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    kw = dict(
        output_dir=str(out_dir / CHECKPOINTS),
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        learning_rate=cfg.learning_rate,
        num_train_epochs=cfg.num_train_epochs,
        max_steps=cfg.max_steps or -1,
        lr_scheduler_type=cfg.lr_scheduler_type,
        weight_decay=cfg.weight_decay,
        max_grad_norm=cfg.max_grad_norm,
        bf16=use_bf16(cfg),
        gradient_checkpointing=cfg.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if cfg.gradient_checkpointing else None,
        logging_steps=cfg.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=cfg.save_steps,
        save_total_limit=cfg.save_total_limit,
        seed=cfg.seed,
        data_seed=cfg.seed,
        report_to="none",  # experiment tracking lives in tasks/, never in drift_core
        remove_unused_columns=False,  # our items are Sample objects, not named columns
        disable_tqdm=not progress,
        ddp_find_unused_parameters=False,
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        # Without CUDA, train on the CPU explicitly: with WORLD_SIZE > 1 (`accelerate launch --multi_gpu`,
        # torchrun) transformers then builds a multi-CPU (gloo) state; otherwise each process believes it
        # is alone and the ranks train unsynchronised copies (docs/training.md, "Several CPU processes").
        use_cpu=not torch.cuda.is_available(),
        per_device_eval_batch_size=cfg.per_device_eval_batch_size or cfg.per_device_train_batch_size,
        prediction_loss_only=True,
        eval_strategy="steps" if evaluate and cfg.eval_steps else "no",
        eval_steps=cfg.eval_steps if evaluate and cfg.eval_steps else None,
    )
    # transformers 5 folds warmup_ratio into warmup_steps (a float < 1 is a ratio); 4.x has both.
    if "warmup_ratio" in names:
        kw["warmup_ratio"] = cfg.warmup_ratio
    else:
        kw["warmup_steps"] = min(cfg.warmup_ratio, 0.999)
    if not cfg.shuffle:
        if "train_sampling_strategy" in names:
            kw["train_sampling_strategy"] = "sequential"
        else:
            raise DriftError("train.shuffle=false needs transformers >= 5")
    return TrainingArguments(**{k: v for k, v in kw.items() if k in names})


def use_packing(cfg: TrainConfig, attn_implementation: str) -> bool:
    """packing=auto packs under flash-attention (cheapest there); elsewhere it keeps the reference's padding,
    because packing changes the per-sample share of the `mean` loss (docs/training.md)."""
    if cfg.packing == "auto":
        return "flash" in attn_implementation
    return bool(cfg.packing)


def make_trainer(model, tokenizer, samples: list[Sample], cfg: TrainConfig, out_dir: Path,
                 progress: bool = True, eval_samples: list[Sample] | None = None) -> WeightedSFTTrainer:
    """A WeightedSFTTrainer over `samples` (and `eval_samples`, if any), padded or packed as the config says."""
    impl = getattr(model.config, "_attn_implementation", "sdpa") or "sdpa"
    packing = use_packing(cfg, impl)
    collator = PackingCollator(block_mask="flash" not in impl) if packing else PaddingCollator(tokenizer.pad_token_id)

    def layout(s: list[Sample]) -> list:
        return pack(s, cfg.packing_max_tokens) if packing else s

    return WeightedSFTTrainer(
        model=model,
        args=training_arguments(cfg, out_dir, progress, evaluate=bool(eval_samples)),
        train_dataset=layout(samples),
        eval_dataset=layout(eval_samples) if eval_samples else None,
        data_collator=collator,
        processing_class=tokenizer,
        normalize=cfg.normalize,
        accumulation=cfg.accumulation,
        callbacks=[FaultPointCallback()],
    )


def split_eval(rows: pa.Table, ratio: float) -> tuple[pa.Table, pa.Table | None]:
    """(train rows, held-out rows): the last ceil(ratio * n) rows are held out, in the table's order.

    The reference's split: datasets' `train_test_split(test_size=ratio, shuffle=False)`, whose test part is
    the last ceil(test_size * n) rows. Rows, not samples: with target=all a trajectory stays on one side.
    """
    if not ratio:
        return rows, None
    n = rows.num_rows
    n_eval = math.ceil(ratio * n)
    if n_eval >= n:
        raise DriftError(f"train.eval_split_ratio={ratio} holds out {n_eval} of {n} rows: none left to train on")
    return rows.slice(0, n - n_eval), rows.slice(n - n_eval)


def staging_dir(out_dir: Path) -> Path:
    """Where training into out_dir runs until its model is complete: `.<name>.partial` beside it (a fixed
    name, so a rerun finds an interrupted run's checkpoints)."""
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.partial"


def latest_checkpoint(out_dir: Path) -> str | None:
    """The newest complete checkpoint for out_dir: an interrupted run's (in its staging dir) first, else
    those a finished run kept (out_dir/checkpoints, keep_checkpoints=true)."""
    for where in (staging_dir(out_dir), Path(out_dir)):
        ckpts = sorted((where / CHECKPOINTS).glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
        complete = [c for c in ckpts if _complete_checkpoint(c)]
        if complete:
            return str(complete[-1])
    return None


def _complete_checkpoint(path: Path) -> bool:
    """The Trainer writes a checkpoint's trainer_state.json after its weights, optimizer and RNG states,
    so a checkpoint a kill cut short has none (or a cut one): it is skipped, the one before used."""
    try:
        json.loads((path / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return True


def check_out_dir(out_dir: Path) -> None:
    """out_dir may be absent, empty, or a model dir drift wrote (it is replaced when the new one is done;
    a dir holding only checkpoints/ is an interrupted run of an older drift). Anything else is refused, so
    a mistyped --out never replaces someone's directory."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise DriftError(f"--out {out_dir} is a file; pick a directory")
    names = {p.name for p in out_dir.iterdir()}
    if names and "drift_train.json" not in names and names != {CHECKPOINTS}:
        raise DriftError(f"--out {out_dir} exists and is not a model directory drift trained (no drift_train.json); "
                         "pick another --out")


def _checkpoint_policy(out_dir: Path, resume: bool | str, overwrite: bool) -> str | None:
    """The checkpoint to resume from, or None to start at step 0 (module docstring of `train`)."""
    ckpt = latest_checkpoint(out_dir)
    if resume is True and ckpt is None:
        log.warning("resume: no checkpoint for %s; starting from step 0", out_dir)
    if ckpt is not None and not resume:
        if not overwrite:
            raise DriftError(f"{out_dir} has checkpoints of an earlier run (newest: {ckpt}): pass --resume to "
                             "continue from it, or --overwrite to start again from step 0")
        return None
    return ckpt


def publish(staging: Path, out_dir: Path) -> None:
    """Make the finished model in `staging` appear as out_dir in one rename (an existing model dir there
    is renamed aside first, then deleted). Files are fsync'd before, so the name never points at a
    model whose bytes a power loss could still take."""
    for root, _, files in os.walk(staging):
        for name in files:
            fsync_path(Path(root) / name)
        fsync_path(root)
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(out_dir, old)
    os.replace(staging, out_dir)
    fsync_path(out_dir.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def train(rows: pa.Table, model_path: str, cfg: TrainConfig, out_dir: str | Path, *, resume: bool | str = False,
          overwrite: bool = False, progress: bool = True, protocol: ProtocolConfig | None = None) -> TrainResult:
    """Weighted SFT of `model_path` on `rows` (columns messages, weight); saves the model to out_dir.

    `protocol` gives the prefill the rollout used (default: the reference protocol's '<answer>').
    Checkpoints of an earlier run for out_dir (see `latest_checkpoint`): resume=True continues from the
    newest; resume='auto' too, and starts at step 0 quietly when there is none (the pipeline: its model
    dirs are named by their inputs, so their checkpoints are of the same training); resume=False refuses
    to go on unless `overwrite`, which starts again from step 0.
    """
    from transformers import set_seed

    from drift_core.chat import load_tokenizer

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    ckpt = _checkpoint_policy(out_dir, resume, overwrite)
    staging = staging_dir(out_dir)
    tokenizer = load_tokenizer(str(model_path), padding_side="right")
    check_rows(rows)
    train_rows, eval_rows = split_eval(rows, cfg.eval_split_ratio)
    opts = dict(prefill=prefill_text(protocol or ProtocolConfig()), target=cfg.target,
                max_prompt_length=cfg.max_prompt_length, max_completion_length=cfg.max_completion_length,
                train_prefill=cfg.train_prefill, tokenize=cfg.tokenize)
    samples = build_samples(train_rows, tokenizer, **opts)
    eval_samples: list[Sample] = []
    if eval_rows is not None:
        eval_samples = build_samples(eval_rows, tokenizer, allow_empty=True, **opts)
        if not eval_samples:  # the reference, too, goes on without evaluation then
            log.warning("the %d held-out rows have no assistant message: no evaluation", eval_rows.num_rows)
    set_seed(cfg.seed)
    model = load_model(str(model_path), cfg)
    trainer = make_trainer(model, tokenizer, samples, cfg, staging, progress, eval_samples=eval_samples)
    if progress:
        from drift_core.train.progress import show_progress

        show_progress(trainer, samples)  # to an installed display (drift run) instead of transformers' bar
    if trainer.is_world_process_zero():
        for stale in out_dir.parent.glob(f".{out_dir.name}.old-*"):  # a kill between publish's two renames
            shutil.rmtree(stale, ignore_errors=True)
        if ckpt is None or not ckpt.startswith(str(staging)):
            shutil.rmtree(staging, ignore_errors=True)  # an earlier attempt this run does not continue
    trainer.accelerator.wait_for_everyone()
    trainer.train(resume_from_checkpoint=ckpt)
    if eval_samples and not any("eval_loss" in h and h.get("step") == trainer.state.global_step
                                for h in trainer.state.log_history):
        trainer.evaluate()  # the final figure, unless eval_steps just took it
    save_model(trainer, tokenizer, staging, cfg)
    state = trainer.state
    if not cfg.keep_checkpoints and trainer.is_world_process_zero():
        # a finished run needs no resume points; optimizer states are ~3x the model's size
        shutil.rmtree(staging / CHECKPOINTS, ignore_errors=True)
    history = [(h["step"], float(h["loss"])) for h in state.log_history if "loss" in h]
    evals = [(h["step"], float(h["eval_loss"])) for h in state.log_history if "eval_loss" in h]
    epochs = state.epoch or cfg.num_train_epochs
    result = TrainResult(
        out_dir=out_dir,
        global_step=state.global_step,
        train_loss=history,
        seconds=time.perf_counter() - t0,
        supervised_tokens=int(sum(len(s.target_ids) for s in samples) * epochs),
        samples=len(samples),
        eval_loss=evals,
        eval_samples=len(eval_samples),
    )
    if trainer.is_world_process_zero():
        summary = {**dataclasses.asdict(result), "out_dir": str(out_dir), "config": cfg.model_dump()}
        write_json(staging / "drift_train.json", summary)
        fault_point("train.before_publish")  # the model is saved, but only in the staging dir
        publish(staging, out_dir)
    trainer.accelerator.wait_for_everyone()  # every process returns once out_dir is there
    return result


def save_model(trainer, tokenizer, out_dir: Path, cfg: TrainConfig) -> None:
    """A plain model dir: LoRA adapters are merged so AutoModelForCausalLM loads it directly."""
    model = trainer.model
    if cfg.lora and hasattr(model, "merge_and_unload"):
        if trainer.is_world_process_zero():
            merged = trainer.accelerator.unwrap_model(model).merge_and_unload()
            merged.config.use_cache = True
            merged.save_pretrained(out_dir)
            tokenizer.save_pretrained(out_dir)
        return
    model.config.use_cache = True
    trainer.save_model(str(out_dir))  # gathers FSDP / ZeRO-3 shards
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(out_dir)
