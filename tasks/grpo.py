"""Online multi-turn GRPO of the reference on the train prompts (cached on prompts, model, protocol and config).

Its metrics and per-step series go to MLflow through `run_stage` (tasks/stage.py), as the weighted-SFT train
task's do: drift_core never imports mlflow (docs/design.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect import task

from drift_core import progress
from drift_core.config import EvalConfig, GrpoConfig, ProtocolConfig
from drift_core.memory import peak_rss
from drift_core.stages.grpo import grpo_stage
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace
from tasks.logs import run_logger
from tasks.prompts import PromptsResult
from tasks.stage import cache_key
from tasks.train import TrainResult

# TRL's per-step log keys -> the MLflow series they become (step = optimizer step)
SERIES = {"loss": "train_loss", "reward": "reward", "reward_std": "reward_std", "kl": "kl",
          "completions/mean_length": "model_tokens_per_trajectory", "entropy": "entropy"}


@dataclass
class GrpoResult(TrainResult):
    """A train result plus what ended the run and its validation curve (drift_core/train/grpo_checkpoints.py)."""

    token_budget: int | None = None
    stopped_by: str = ""
    checkpoints: list[dict] = field(default_factory=list)  # {step, generated_tokens, seconds, multi@1..K}


@task(name="grpo", cache_key_fn=cache_key("grpo", "drift_core.stages.grpo"), persist_result=True)
def grpo_task(workspace: str, prompts: PromptsResult, base: ModelRef, protocol: ProtocolConfig,
              cfg: GrpoConfig, checkpoints: PromptsResult | None = None,
              eval_cfg: EvalConfig | None = None) -> GrpoResult:
    """`checkpoints` (the validation prompts) and `eval_cfg` score the policy along the run (cfg.checkpoints)."""
    ws = Workspace(workspace)
    with peak_rss() as peak:
        out = grpo_stage(ws, prompts.prompt_set, base, protocol, cfg, progress=progress.active(),
                         checkpoints=checkpoints.prompt_set if checkpoints else None, eval_cfg=eval_cfg)
    res = out.result
    metrics = {"global_step": res.steps, "seconds": res.seconds, "generation_seconds": res.generation_seconds,
               "training_seconds": res.training_seconds, "generated_tokens": res.generated_tokens,
               "trained_tokens": res.trained_tokens, "supervised_tokens": res.trained_tokens,
               "trajectories": res.trajectories, "turns": res.turns, "env_tokens": res.env_tokens,
               "canonicalised_turns": res.canonicalised_turns, "context_mismatches": res.context_mismatches,
               "peak_rss_bytes": peak.bytes, "checkpoint_seconds": res.checkpoint_seconds,
               "stopped_by_token_budget": float(res.stopped_by == "token_budget")}
    if res.token_budget is not None:
        metrics["token_budget"] = res.token_budget
    series = {name: [(h["step"], float(h[key])) for h in res.history if key in h and "train_runtime" not in h]
              for key, name in SERIES.items()}
    # the validation curve, its step = the generated tokens at the checkpoint (MLflow steps are integers)
    for key in (k for k in (res.checkpoints[0] if res.checkpoints else {}) if k.startswith("multi@")):
        series[f"checkpoint_{key}"] = [(int(c["generated_tokens"]), float(c[key])) for c in res.checkpoints]
    run_logger().info(
        "GRPO: %d steps (stopped by %s), %d trajectories, %d generated and %d trained tokens in %.1f s (%.1f s "
        "generating, %.1f s scoring %d checkpoints); model %s", res.steps, res.stopped_by, res.trajectories,
        res.generated_tokens, res.trained_tokens, res.seconds, res.generation_seconds, res.checkpoint_seconds,
        len(res.checkpoints), ws.portable(out.out_dir),
    )
    return GrpoResult(
        fingerprint=out.model.fingerprint, params=cfg.model_dump(mode="json"), metrics=metrics,
        series={k: v for k, v in series.items() if v},
        tags={"drift.model_dir": ws.portable(out.out_dir), "drift.stopped_by": res.stopped_by},
        model=out.model, token_budget=res.token_budget, stopped_by=res.stopped_by, checkpoints=res.checkpoints,
    )
