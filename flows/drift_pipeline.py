"""The DRIFT pipeline as a Prefect flow: a recipe, one cached task per stage.

    drift run                                   # ephemeral Prefect API + MLflow SQLite in the workspace
    drift run --set weights.beta=0.5            # reuses the rollout, recomputes weights/train/eval
    drift run --refresh                         # recompute every stage
    drift serve                                 # a deployment: run it from the Prefect UI with a form

The one parameter `config` is the typed pipeline config, so the Prefect UI shows a form per section;
`overrides` takes the CLI's `section.key=value` items on top of it (handy from `prefect deployment run`).
"""

# No `from __future__ import annotations` here: Prefect validates parameters with a pydantic model
# built from this signature when a deployment runs it, and string annotations leave it undefined.

from prefect import flow

from drift_core.config import PipelineConfig, load_config, with_overrides
from flows.setup import flow_setup
from tasks import tracking
from tasks.evaluate import evaluate_task
from tasks.registry import champion_to_score, register_task, registration_summary
from tasks.rollout import rollout_task
from tasks.stage import run_stage
from tasks.train import train_task
from tasks.weights import weights_task

FLOW_NAME = "drift-pipeline"
# The stages in the order they run (what `drift run`'s status line lists); evaluate-champion joins before
# register when a champion scored on another eval set must be scored on this one.
STAGES = ("prompts", "eval-prompts", "rollout", "weights", "train", "evaluate-reference", "evaluate-candidate",
          "register")
# The parameter's default = the embedded default config (configs/tiny.yaml), the same as `drift run`.
DEFAULT = load_config()


def planned_stages(cfg: PipelineConfig) -> list[str]:
    return [s for s in STAGES if s != "register" or cfg.registry.enabled]


@flow(name=FLOW_NAME, log_prints=True)
def drift_pipeline(
    config: PipelineConfig = DEFAULT, overrides: list[str] | None = None, refresh: bool = False
) -> dict:
    """Prompts -> rollout -> weights -> weighted SFT -> evaluate reference and candidate -> register."""
    cfg = with_overrides(config, overrides)
    with flow_setup(cfg, refresh=refresh) as setup:
        ws, reference, test_prompts = setup.ws, setup.reference, setup.test_prompts
        samples = run_stage(rollout_task, ws, setup.train_prompts, reference, cfg.protocol, cfg.rollout,
                            runner=cfg.runner)
        weighted = run_stage(weights_task, ws, samples, cfg.weights, cfg.protocol.repeat_penalty_lambda)
        candidate = run_stage(train_task, ws, weighted, reference, cfg.protocol, cfg.train)
        ref_eval = run_stage(evaluate_task, ws, reference, test_prompts, cfg.protocol, cfg.eval,
                             runner=cfg.runner, stage_name="evaluate-reference")
        cand_eval = run_stage(evaluate_task, ws, candidate.model, test_prompts, cfg.protocol, cfg.eval,
                              baseline=ref_eval, runner=cfg.runner, stage_name="evaluate-candidate")
        summary = setup.result() | {"reference": ref_eval.metrics, "candidate": cand_eval.metrics}
        if cfg.registry.enabled:
            champion = champion_to_score(ws, cfg.registry, cand_eval.eval_set)  # scored on another eval set
            champ_eval = None if champion is None else run_stage(
                evaluate_task, ws, champion, test_prompts, cfg.protocol, cfg.eval, runner=cfg.runner,
                stage_name="evaluate-champion")
            lineage = {"data_fingerprint": weighted.fingerprint, "rollout_run_id": samples.run_id}
            reg = run_stage(register_task, ws, candidate.model, cand_eval, ref_eval, champ_eval, lineage,
                            cfg.registry, setup.parent.info.run_id)
            summary |= registration_summary(reg, cached=setup.settings.states["register"] == "Cached")
        tracking.log_summary({f"reference_{k}": v for k, v in ref_eval.metrics.items()}
                             | {f"candidate_{k}": v for k, v in cand_eval.metrics.items()})
    return summary
