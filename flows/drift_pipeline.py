"""The DRIFT pipeline as a Prefect flow: a recipe, one cached task per stage.

    drift run                                   # ephemeral Prefect API + MLflow SQLite in the workspace
    drift run --set weights.beta=0.5            # reuses the rollout, recomputes weights/train/eval
    drift run --refresh                         # recompute every stage
    drift serve                                 # a deployment: run it from the Prefect UI with a form

Every parameter is a typed config section, so the Prefect UI shows a form per stage.
"""

# No `from __future__ import annotations` here: Prefect validates parameters with a pydantic model
# built from this signature when a deployment runs it, and string annotations leave it undefined.

from prefect import flow

from drift_core.config import (
    EvalConfig,
    PipelineConfig,
    PromptsConfig,
    ProtocolConfig,
    RolloutConfig,
    TrainConfig,
    WeightsConfig,
    load_config,
)
from drift_core.config.registry import RegistryConfig
from flows.setup import flow_setup
from tasks import tracking
from tasks.evaluate import evaluate_task
from tasks.registry import register_task
from tasks.rollout import rollout_task
from tasks.stage import run_stage
from tasks.train import train_task
from tasks.weights import weights_task

FLOW_NAME = "drift-pipeline"
# Parameter defaults = the embedded default config (configs/tiny.yaml), the same as `drift run`.
DEFAULT = load_config()


@flow(name=FLOW_NAME, log_prints=True)
def drift_pipeline(
    workspace: str = DEFAULT.workspace,
    protocol: ProtocolConfig = DEFAULT.protocol,
    prompts: PromptsConfig = DEFAULT.prompts,
    eval_prompts: PromptsConfig = DEFAULT.eval_prompts,
    rollout: RolloutConfig = DEFAULT.rollout,
    weights: WeightsConfig = DEFAULT.weights,
    train: TrainConfig = DEFAULT.train,
    eval: EvalConfig = DEFAULT.eval,
    registry: RegistryConfig = DEFAULT.registry,
    refresh: bool = False,
) -> dict:
    """Prompts -> rollout -> weights -> weighted SFT -> evaluate reference and candidate -> register."""
    cfg = PipelineConfig(workspace=workspace, protocol=protocol, prompts=prompts, eval_prompts=eval_prompts,
                         rollout=rollout, weights=weights, train=train, eval=eval, registry=registry)
    with flow_setup(workspace, cfg, rollout=cfg.rollout, prompts=cfg.prompts, eval_prompts=cfg.eval_prompts,
                    refresh=refresh) as setup:
        ws, reference, test_prompts = setup.ws, setup.reference, setup.test_prompts
        samples = run_stage(rollout_task, ws, setup.train_prompts, reference, cfg.protocol, cfg.rollout)
        weighted = run_stage(weights_task, ws, samples, cfg.weights)
        candidate = run_stage(train_task, ws, weighted, reference, cfg.protocol, cfg.train)
        ref_eval = run_stage(evaluate_task, ws, reference, test_prompts, cfg.protocol, cfg.eval,
                             stage_name="evaluate-reference")
        cand_eval = run_stage(evaluate_task, ws, candidate.model, test_prompts, cfg.protocol, cfg.eval,
                              baseline=ref_eval, stage_name="evaluate-candidate")
        summary = setup.result() | {"reference": ref_eval.metrics, "candidate": cand_eval.metrics}
        if cfg.registry.enabled:
            reg = run_stage(register_task, ws, candidate.model, cand_eval, ref_eval, test_prompts, cfg.protocol,
                            cfg.eval, weighted.fingerprint, cfg.registry, setup.parent.info.run_id)
            summary |= {"model": reg.name, "version": reg.version, "promoted": reg.promoted,
                        "decision": reg.decision["reason"]}
        tracking.log_summary({f"reference_{k}": v for k, v in ref_eval.metrics.items()}
                             | {f"candidate_{k}": v for k, v in cand_eval.metrics.items()})
    return summary


def run_pipeline(cfg: PipelineConfig, refresh: bool = False) -> dict:
    """Call the flow with a PipelineConfig (what `drift run` does)."""
    return drift_pipeline(
        workspace=cfg.workspace, protocol=cfg.protocol, prompts=cfg.prompts, eval_prompts=cfg.eval_prompts,
        rollout=cfg.rollout, weights=cfg.weights, train=cfg.train, eval=cfg.eval, registry=cfg.registry,
        refresh=refresh,
    )
