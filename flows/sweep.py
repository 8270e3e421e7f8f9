"""beta x gamma sensitivity of DRIFT's weights: one mapped task per grid point, then a heat map.

    drift sweep                                   # 4 betas x 3 gammas, writes benchmarks/results/tiny_world_sweep.md
    drift sweep --quick                           # CI size
    drift sweep --set sweep.betas=[0.1,1.0] --set sweep.gammas=[0.5,1.0]

Weights, training and evaluation are each `.map`ped over the grid (the pipeline's cached tasks);
the task runner runs one point at a time: two CPU cores gain nothing from running trainings side
by side, and one writer at a time keeps the DuckDB warehouse simple.
"""

# No `from __future__ import annotations`: Prefect builds its parameter model from these annotations.
import time

from prefect import flow, unmapped
from prefect.task_runners import ThreadPoolTaskRunner

from drift_core.compare.arms import budget
from drift_core.compare.runtime import set_threads
from drift_core.compare.sweep import sweep_grid, write_sweep
from drift_core.config import PipelineConfig, load_config
from drift_core.config.compare import DEFAULT_PIPELINE, SweepConfig
from flows.setup import flow_setup
from tasks import tracking
from tasks.compare import log_files, map_stage
from tasks.evaluate import evaluate_task
from tasks.rollout import rollout_task
from tasks.stage import run_stage
from tasks.train import train_task
from tasks.weights import weights_task

FLOW_NAME = "drift-sweep"
DEFAULT = load_config(None, DEFAULT_PIPELINE)  # the parameter's default = `drift compare`'s


@flow(name=FLOW_NAME, log_prints=True, task_runner=ThreadPoolTaskRunner(max_workers=1))
def drift_sweep(config: PipelineConfig = DEFAULT, sweep: SweepConfig = SweepConfig(),  # noqa: B008 (pydantic)
                command: str = "drift sweep", refresh: bool = False) -> dict:
    """Prompts -> one rollout -> weights.map -> train.map -> evaluate.map -> heat map."""
    grid = sweep_grid(sweep)
    labels = [label for label, _ in grid]
    t0 = time.perf_counter()
    cfg, protocol = config, config.protocol
    set_threads(sweep.threads)
    train_cfg = budget(cfg.train, sweep.max_steps, sweep.seed)
    with flow_setup(cfg, refresh=refresh, run_name="sweep", sections={"sweep": sweep}) as setup:
        ws, reference, test_prompts = setup.ws, setup.reference, setup.test_prompts
        samples = run_stage(rollout_task, ws, setup.train_prompts, reference, protocol, cfg.rollout,
                            runner=cfg.runner)
        weighted = map_stage(weights_task, "weights", labels, unmapped(ws), unmapped(samples),
                             [w for _, w in grid], unmapped(protocol.repeat_penalty_lambda))
        trained = map_stage(train_task, "train", labels, unmapped(ws), weighted, unmapped(reference),
                            unmapped(protocol), unmapped(train_cfg))
        evals = map_stage(evaluate_task, "eval", labels, unmapped(ws), [t.model for t in trained],
                          unmapped(test_prompts), unmapped(protocol), unmapped(cfg.eval))
        files = write_sweep(sweep, [(w.beta, w.gamma) for _, w in grid], [w.metrics for w in weighted],
                            [e.metrics for e in evals], protocol.max_turns, command=command,
                            seconds=time.perf_counter() - t0)
        values = {f"{label}.{k}": v for label, e in zip(labels, evals, strict=True)
                  for k, v in e.metrics.items() if k.startswith("multi@")}
        tracking.log_summary(values, tags={"drift.flow": FLOW_NAME})
        log_files(files, "sweep")
        result = setup.result() | {"files": [str(f) for f in files], "values": values}
    return result
