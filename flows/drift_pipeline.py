"""The DRIFT pipeline as a Prefect flow: a recipe, one cached task per stage.

    drift run                                   # ephemeral Prefect API + MLflow SQLite in the workspace
    drift run --set weights.beta=0.5            # reuses the rollout, recomputes weights/train/eval
    drift run --refresh                         # recompute every stage
    drift run --rounds 3                        # iterative DRIFT: rounds 2-3 sample from the last round's model
    drift serve                                 # a deployment: run it from the Prefect UI with a form

The one parameter `config` is the typed pipeline config, so the Prefect UI shows a form per section;
`overrides` takes the CLI's `section.key=value` items on top of it (handy from `prefect deployment run`).
"""

# No `from __future__ import annotations` here: Prefect validates parameters with a pydantic model
# built from this signature when a deployment runs it, and string annotations leave it undefined.

from pathlib import Path

from prefect import flow

from drift_core.compare.cost import of_rollout, of_training
from drift_core.compare.runtime import run_tokens
from drift_core.config import PipelineConfig, load_config, with_overrides
from drift_core.errors import DriftError
from drift_core.store import Workspace
from flows.setup import flow_setup
from tasks import tracking
from tasks.evaluate import evaluate_task
from tasks.registry import champion_to_score, register_task, registration_summary
from tasks.rollout import rollout_task
from tasks.rounds import drift_round, round_row
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


# A round k >= 2 of `--rounds` runs these stages, named `<stage>.round<k>` (round 1's keep their names).
ROUND_STAGES = ("rollout", "weights", "train", "evaluate-candidate")


def planned_stages(cfg: PipelineConfig, rounds: int = 1) -> list[str]:
    later = [f"{s}.round{k}" for k in range(2, rounds + 1) for s in ROUND_STAGES]
    return [s for s in STAGES if s != "register"] + later + (["register"] if cfg.registry.enabled else [])


@flow(name=FLOW_NAME, log_prints=True)
def drift_pipeline(
    config: PipelineConfig = DEFAULT, overrides: list[str] | None = None, refresh: bool = False, rounds: int = 1
) -> dict:
    """Prompts -> rollout -> weights -> weighted SFT -> evaluate reference and candidate -> register.

    `rounds` > 1: iterative DRIFT (docs/design.md §10, "Rounds"); round k samples from round k-1's model,
    weights those trajectories and trains from that model; the last round's model is the candidate.
    """
    cfg = with_overrides(config, overrides)
    if rounds < 1:
        raise DriftError(f"rounds {rounds}: at least 1")
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
        cost = of_rollout(samples.metrics, run_tokens(Workspace(ws), samples.run_id)) + of_training(candidate.metrics)
        rows = [round_row(1, cand_eval.metrics, cfg.protocol.max_turns, cost, samples.run_id, candidate.model.path)]
        for k in range(2, rounds + 1):
            r = drift_round(ws, k, candidate.model, setup.train_prompts, cfg.protocol, cfg.rollout, cfg.weights,
                            cfg.train, suffix=f".round{k}", runner=cfg.runner)
            samples, weighted, candidate, cost = r.samples, r.weighted, r.trained, cost + r.cost
            cand_eval = run_stage(evaluate_task, ws, candidate.model, test_prompts, cfg.protocol, cfg.eval,
                                  baseline=ref_eval, runner=cfg.runner, stage_name=f"evaluate-candidate.round{k}")
            rows.append(round_row(k, cand_eval.metrics, cfg.protocol.max_turns, cost, samples.run_id,
                                  candidate.model.path))
        summary = setup.result() | {"reference": ref_eval.metrics, "candidate": cand_eval.metrics}
        if rounds > 1:
            summary["rounds"] = rows
            log_rounds(ws, setup.parent.info.run_id, rows, ref_eval.metrics, cfg.protocol.max_turns)
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


def log_rounds(ws: str, run_id: str, rows: list[dict], reference: dict, max_turns: int) -> Path:
    """The rounds' figures on the parent run (metrics by round) with the plot of multi@1 and multi@K by round,
    the reference as round 0; the plot is written under the workspace's artifacts/rounds/<run id>/."""
    from drift_core.plots import multi_at_k_by_round

    keys = sorted({"multi@1", f"multi@{max_turns}"}, key=lambda k: int(k.split("@")[1]))
    series = {k: [(0, reference.get(k), 0.0)] + [(r["round"], r[k], 0.0) for r in rows] for k in keys}
    plot = multi_at_k_by_round(series, Path(ws) / "artifacts" / "rounds" / run_id / "multi_at_k_by_round.png",
                               title=f"drift run, {len(rows)} rounds (greedy, test set)")
    tracking.log_rounds(run_id, rows, plot)
    return plot
