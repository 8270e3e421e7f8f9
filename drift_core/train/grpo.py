"""`train_grpo()`: online multi-turn GRPO of a model dir on prompts -> a model dir (docs/design.md §10).

TRL's `GRPOTrainer` runs the optimisation (groups, advantages, clipped ratio, KL, accumulation); this module
only hands it the project's episodes (drift_core/train/grpo_rollout.py, through TRL's `rollout_func`) and the
project's return as the reward, so the online arm and the offline arms score the same episodes the same way.
Like `drift_core.train.train`, the model dir appears only complete: the run writes into `.<name>.partial`
beside it and renames it when done (docs/reliability.md). No resume: an interrupted run starts again.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from drift_core.config.eval import EvalConfig
from drift_core.config.grpo import GrpoConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.errors import DriftError
from drift_core.faults import write_json
from drift_core.multiturn import Problem
from drift_core.train.grpo_checkpoints import STEPS, BudgetCallback, score_policy
from drift_core.train.grpo_engine import PolicyEngine
from drift_core.train.grpo_reward import make_reward_func
from drift_core.train.grpo_rollout import RolloutStats, make_rollout_func
from drift_core.train.run import publish, staging_dir

SUMMARY = "drift_grpo.json"


@dataclass
class GrpoResult:
    out_dir: Path
    steps: int  # optimizer steps taken
    trajectories: int  # episodes sampled, over all steps
    generated_tokens: int  # sampled by the policy, eos included (as the rollout stage counts)
    trained_tokens: int  # loss-bearing tokens (env_mask 1), summed over optimisation passes
    env_tokens: int  # feedback and template tokens inside the completions (no loss)
    turns: int  # assistant turns over all episodes
    canonicalised_turns: int  # turns whose stored (trained) content differs from the sampled text
    context_mismatches: int  # later turns whose token context differs from the engine's tokenization
    generation_seconds: float  # wall time inside rollout_func (sampling and episode logic)
    seconds: float  # the whole call, loading and saving included
    history: list[dict] = field(default_factory=list)  # TRL's log per step: loss, reward, kl, lengths, ...
    token_budget: int | None = None  # the generated tokens the run was to reach (None: max_steps only)
    stopped_by: str = STEPS  # what ended it: the token budget or the max_steps cap
    # the validation curve: {step, generated_tokens, seconds (wall so far, scoring left out), multi@1..K}
    checkpoints: list[dict] = field(default_factory=list)
    checkpoint_seconds: float = 0.0  # spent scoring the checkpoints: measurement, not the arm's cost

    @property
    def training_seconds(self) -> float:
        return max(self.seconds - self.generation_seconds - self.checkpoint_seconds, 0.0)


def check_out_dir(out_dir: Path) -> None:
    """out_dir may be absent, empty, or a model dir train_grpo wrote (replaced when the new one is done);
    anything else is refused, so a mistyped --out never replaces someone's directory."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise DriftError(f"--out {out_dir} is a file; pick a directory")
    if any(out_dir.iterdir()) and not (out_dir / SUMMARY).exists():
        raise DriftError(f"--out {out_dir} exists and is not a model directory drift grpo wrote (no {SUMMARY}); "
                         "pick another --out")


def use_bf16(cfg: GrpoConfig) -> bool:
    if cfg.bf16 == "auto":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if cfg.bf16 and not torch.cuda.is_available():
        raise DriftError("grpo.bf16=true needs CUDA; use bf16: auto (fp32 on CPU)")
    return bool(cfg.bf16)


def grpo_arguments(cfg: GrpoConfig, protocol: ProtocolConfig, work_dir: Path, progress: bool):
    """TRL's GRPOConfig for `cfg`. On a CPU TRL's defaults fail or crawl, hence use_cpu, fp32 and no gradient
    checkpointing (docs/design.md §10). The Trainer saves no checkpoints: the model dir is written at the end."""
    from trl import GRPOConfig

    from drift_core.chat import load_kwargs

    names = {f.name for f in dataclasses.fields(GRPOConfig)}
    kw = dict(
        output_dir=str(work_dir),
        learning_rate=cfg.learning_rate,
        beta=cfg.beta,
        num_generations=cfg.num_generations,
        max_steps=cfg.max_steps,
        per_device_train_batch_size=cfg.per_device_train_batch_size,
        gradient_accumulation_steps=cfg.gradient_accumulation_steps,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        top_k=0,
        # the policy's tokens of a whole episode at most: dr_grpo's normaliser
        max_completion_length=cfg.max_new_tokens * protocol.max_turns,
        loss_type=cfg.loss_type,
        scale_rewards=cfg.scale_rewards,
        epsilon=cfg.epsilon,
        num_iterations=cfg.num_iterations,
        max_grad_norm=cfg.max_grad_norm,
        lr_scheduler_type=cfg.lr_scheduler_type,
        weight_decay=cfg.weight_decay,
        seed=cfg.seed,
        data_seed=cfg.seed,
        bf16=use_bf16(cfg),
        use_cpu=not torch.cuda.is_available(),
        gradient_checkpointing=False,
        logging_steps=cfg.logging_steps,
        save_strategy="no",
        report_to="none",  # experiment tracking lives in tasks/, never in drift_core (docs/design.md §4)
        disable_tqdm=not progress,
        remove_unused_columns=False,
        disable_dropout=True,  # sampling and the loss's log-probs then come from the same function
        log_completions=False,
        dataloader_num_workers=0,
        use_vllm=False,  # CPU: plain generation through PolicyEngine (GPU vLLM: docs/design.md §10, later)
    )
    if cfg.beta > 0:  # TRL then loads the KL reference itself: under drift's loading rules (drift_core/chat.py)
        kw["model_init_kwargs"] = load_kwargs()
    if "warmup_ratio" in names:
        kw["warmup_ratio"] = cfg.warmup_ratio
    else:  # transformers 5 folds the ratio into warmup_steps (a float < 1), as drift_core/train/run.py does
        kw["warmup_steps"] = min(cfg.warmup_ratio, 0.999)
    return GRPOConfig(**{k: v for k, v in kw.items() if k in names})


def prompt_dataset(prompt_ids: list[str]):
    """TRL's train_dataset: one row per prompt, its `prompt` the prompt id (rollout_func looks the problem up).

    Fingerprinted by its content here: datasets would otherwise hash the table with dill, whose disassembly
    of a helper goes to print() and so, inside a Prefect task with log_prints, into the task's log."""
    from datasets import Dataset
    from datasets.table import InMemoryTable

    from drift_core.fingerprint import digest

    return Dataset(InMemoryTable.from_pydict({"prompt": list(prompt_ids)}), fingerprint=digest(prompt_ids))


def train_grpo(problems: Sequence[Problem], model_path: str, protocol: ProtocolConfig, cfg: GrpoConfig,
               out_dir: str | Path, *, progress: bool = True, checkpoint_problems: Sequence[Problem] = (),
               checkpoint_protocol: ProtocolConfig | None = None, eval_cfg: EvalConfig | None = None) -> GrpoResult:
    """Online multi-turn GRPO of `model_path` on `problems` under `protocol`; saves the policy to out_dir.

    Each optimizer step samples cfg.trajectories_per_step episodes (cfg.prompts_per_step prompts x
    cfg.num_generations) with the current policy; a group is the num_generations trajectories of one prompt.
    The run ends at cfg.token_budget generated tokens or cfg.max_steps, whichever comes first; with
    cfg.checkpoints, the first cfg.checkpoint_prompts of `checkpoint_problems` (validation) are scored along
    the way under `checkpoint_protocol` and `eval_cfg` (drift_core/train/grpo_checkpoints.py)."""
    from transformers import set_seed

    from drift_core.chat import load_causal_lm, load_tokenizer

    t0 = time.perf_counter()
    # rollout_func is experimental in TRL 1.16, and says so on every run; its use here is pinned by tests.
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    with warnings.catch_warnings():
        # TRL 1.16 warns on import that it supports vLLM 0.22-0.31 (the CPU build is 0.32); TRL's vLLM use is
        # off here (use_vllm=False), so the warning is about code that never runs (docs/design.md §10).
        warnings.filterwarnings("ignore", message="TRL currently supports vLLM", category=UserWarning)
        from trl import GRPOTrainer

    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    ids = [p.prompt_id for p in problems]
    if len(set(ids)) != len(ids):
        raise DriftError("train_grpo: prompt ids must be unique")
    if cfg.checkpoints and not checkpoint_problems:
        raise DriftError("grpo.checkpoints needs validation problems to score (drift compare gives its validation "
                         "split); set grpo.checkpoints=0")
    if len(ids) < cfg.prompts_per_step:
        raise DriftError(f"GRPO samples {cfg.prompts_per_step} prompts per step (grpo.per_device_train_batch_size x "
                         f"gradient_accumulation_steps / num_generations) but there are only {len(ids)}")
    staging = staging_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    tokenizer = load_tokenizer(str(model_path), padding_side="left")
    set_seed(cfg.seed)
    model = load_causal_lm(str(model_path))
    stats = RolloutStats()
    rollout_func = make_rollout_func(
        problems, protocol, tokenizer, lambda trainer: PolicyEngine(trainer, tokenizer,
                                                                    batch_size=cfg.generation_batch_size),
        n=cfg.num_generations, temperature=cfg.temperature, top_p=cfg.top_p, max_new_tokens=cfg.max_new_tokens,
        seed=cfg.seed, gamma=cfg.gamma, stats=stats)
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=make_reward_func(cfg.gamma, protocol.repeat_penalty_lambda),
        args=grpo_arguments(cfg, protocol, staging / "trainer", progress),
        train_dataset=prompt_dataset(ids),
        processing_class=tokenizer,
        rollout_func=rollout_func,
    )
    scored = list(checkpoint_problems)[: cfg.checkpoint_prompts]
    scorer = PolicyEngine(trainer, tokenizer, batch_size=cfg.generation_batch_size)
    budget = BudgetCallback(
        lambda: stats.generated_tokens, token_budget=cfg.token_budget, max_steps=cfg.max_steps,
        checkpoints=cfg.checkpoints,
        score=(lambda: score_policy(scorer, tokenizer, scored, checkpoint_protocol or protocol,
                                    eval_cfg or EvalConfig())) if cfg.checkpoints else None)
    trainer.add_callback(budget)
    if progress:
        from drift_core.train.progress import show_grpo_progress

        show_grpo_progress(trainer, stats)  # to an installed display (drift run) instead of transformers' bar
    else:
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)  # its dict per logged step is not quiet
    trainer.train()
    if trainer.is_world_process_zero():
        unwrapped = trainer.accelerator.unwrap_model(trainer.model)
        unwrapped.config.use_cache = True
        unwrapped.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        shutil.rmtree(staging / "trainer", ignore_errors=True)
    result = GrpoResult(
        out_dir=out_dir,
        steps=trainer.state.global_step,
        trajectories=stats.trajectories,
        generated_tokens=stats.generated_tokens,
        trained_tokens=stats.trained_tokens * cfg.num_iterations,
        env_tokens=stats.env_tokens,
        turns=stats.turns,
        canonicalised_turns=stats.canonicalised_turns,
        context_mismatches=stats.context_mismatches,
        generation_seconds=stats.seconds,
        seconds=time.perf_counter() - t0,
        history=[h for h in trainer.state.log_history if "step" in h],
        token_budget=cfg.token_budget,
        stopped_by=budget.stopped_by,
        checkpoints=budget.curve,
        checkpoint_seconds=budget.checkpoint_seconds,
    )
    if trainer.is_world_process_zero():
        summary = {**dataclasses.asdict(result), "out_dir": str(out_dir), "model": str(model_path),
                   "prompts": len(ids), "config": cfg.model_dump(mode="json"),
                   "protocol": protocol.model_dump(mode="json")}
        write_json(staging / SUMMARY, summary)
        publish(staging, out_dir)
    trainer.accelerator.wait_for_everyone()
    return result
