"""Online multi-turn GRPO of the reference on the train prompts (cached on prompts, model, protocol and config).

Its metrics and per-step series go to MLflow through `run_stage` (tasks/stage.py), as the weighted-SFT train
task's do: drift_core never imports mlflow (docs/design.md §4).
"""

from __future__ import annotations

from prefect import task

from drift_core import progress
from drift_core.config import GrpoConfig, ProtocolConfig
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


@task(name="grpo", cache_key_fn=cache_key("grpo", "drift_core.stages.grpo"), persist_result=True)
def grpo_task(workspace: str, prompts: PromptsResult, base: ModelRef, protocol: ProtocolConfig,
              cfg: GrpoConfig) -> TrainResult:
    ws = Workspace(workspace)
    with peak_rss() as peak:
        out = grpo_stage(ws, prompts.prompt_set, base, protocol, cfg, progress=progress.active())
    res = out.result
    metrics = {"global_step": res.steps, "seconds": res.seconds, "generation_seconds": res.generation_seconds,
               "training_seconds": res.training_seconds, "generated_tokens": res.generated_tokens,
               "trained_tokens": res.trained_tokens, "supervised_tokens": res.trained_tokens,
               "trajectories": res.trajectories, "turns": res.turns, "env_tokens": res.env_tokens,
               "canonicalised_turns": res.canonicalised_turns, "context_mismatches": res.context_mismatches,
               "peak_rss_bytes": peak.bytes}
    series = {name: [(h["step"], float(h[key])) for h in res.history if key in h and "train_runtime" not in h]
              for key, name in SERIES.items()}
    run_logger().info(
        "GRPO: %d steps, %d trajectories, %d generated and %d trained tokens in %.1f s (%.1f s generating); "
        "model %s", res.steps, res.trajectories, res.generated_tokens, res.trained_tokens, res.seconds,
        res.generation_seconds, ws.portable(out.out_dir),
    )
    return TrainResult(
        fingerprint=out.model.fingerprint, params=cfg.model_dump(mode="json"), metrics=metrics,
        series={k: v for k, v in series.items() if v}, tags={"drift.model_dir": ws.portable(out.out_dir)},
        model=out.model,
    )
