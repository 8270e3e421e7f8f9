"""Run the pipeline's rollout and evaluate tasks on a chosen runner, in its own process (tests/tasks/test_shards.py).

    python tests/tasks/shard_rollout.py WORKSPACE MODEL PROMPTS_JSONL KIND OUT_JSON

(or `run()` in-process, under a Prefect API the caller chose). Prefect's ephemeral API lives in WORKSPACE
(flows.defaults.apply), as under `drift run`, unless PREFECT_API_URL names a server. OUT_JSON gets the
run's counts, each written shard's report (worker pid, engines that worker had built), the
evaluation's metrics and a round-2 rollout task's (iterative DRIFT: run id <id>-round2, peak RSS).
"""

from __future__ import annotations

import json
import sys

PROMPTS = 12  # one prompt per shard: 12 rollout shards, so a kill lands between the first and the last
EVAL_PROBLEMS, EVAL_PER_SHARD = 6, 2


def run(workspace: str, model: str, prompts: str, kind: str, *, evaluate: bool = True) -> dict:
    """The rollout task's sharded code, then the evaluate task, inside a flow on `kind`'s runner (ray: a local
    cluster of 2 CPUs; dask: a LocalCluster of 2 one-thread worker processes; started and stopped by each stage)."""
    from prefect import flow

    from drift_core.config import EvalConfig, PromptsConfig, ProtocolConfig, RolloutConfig, RunnerConfig
    from drift_core.stages.model import ModelRef
    from drift_core.store import Workspace
    from tasks.evaluate import evaluate_task
    from tasks.prompts import prompts_task
    from tasks.rollout import rollout_task, sharded_rollout

    @flow(name="shard-rollout")
    def pipeline() -> dict:
        ws = Workspace(workspace)
        runner = RunnerConfig(kind=kind, workers=2)
        ps = prompts_task(workspace, PromptsConfig(source="file", path=prompts, limit=PROMPTS))
        ref = ModelRef.of(model, ws)
        cfg = RolloutConfig(n=2, max_new_tokens=8, prompts_per_shard=1, seed=7, temperature=1.0)
        res = sharded_rollout(ws, ps, ref, ProtocolConfig(max_turns=3), cfg, runner)
        out = {"run_id": res.run_id, "written": res.shards_written, "skipped": res.shards_skipped,
               "tokens": res.tokens, "shards": res.shard_reports}
        if evaluate:
            eps = prompts_task(workspace, PromptsConfig(source="file", path=prompts, limit=EVAL_PROBLEMS))
            ev = evaluate_task.fn(workspace, ref, eps, ProtocolConfig(max_turns=3),
                                  EvalConfig(max_new_tokens=8, prompts_per_shard=EVAL_PER_SHARD), runner=runner)
            out["eval"] = {"metrics": ev.metrics, "per_problem": ev.per_problem}
            # A later round of iterative DRIFT through the rollout task itself (the same model stands in for
            # round 1's): its run id is the round's on every runner, and its cost fields are recorded.
            r2 = rollout_task.fn(workspace, eps, ref, ProtocolConfig(max_turns=3),
                                 cfg.model_copy(update={"prompts_per_shard": EVAL_PER_SHARD}), runner=runner, round=2)
            out["round2"] = {"run_id": r2.run_id, "metrics": r2.metrics}
        return out

    return pipeline()


def main(workspace: str, model: str, prompts: str, kind: str, out: str) -> None:
    from flows import defaults

    defaults.apply(workspace)  # before prefect is imported: its settings are read once
    with open(out, "w") as f:
        json.dump(run(workspace, model, prompts, kind), f)


if __name__ == "__main__":
    main(*sys.argv[1:6])
