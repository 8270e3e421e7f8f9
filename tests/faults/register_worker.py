"""One registration of a fixed candidate inside a pipeline-style parent MLflow run (no Prefect server).

tests/faults/test_kill_points.py runs this file in a subprocess killed at a register.* fault point, then
calls `register_once` again in-process, as a rerun of `drift run` would: same inputs, same store.
"""

from __future__ import annotations

import sys
from pathlib import Path

MODEL_NAME = "faults-policy"


def evaluation(fp: str, solved: int, n: int = 20):
    from tasks.evaluate import EvalResult

    per = {f"p{i}": (1 if i < solved else None) for i in range(n)}
    return EvalResult(fingerprint=fp, metrics={"multi@1": solved / n}, eval_id=f"e-{fp}", eval_set="E1",
                      per_problem=per)


def register_once(ws: Path, model_dir: Path):
    from drift_core.config.registry import RegistryConfig
    from drift_core.stages.model import ModelRef
    from tasks import tracking
    from tasks.registry import register_task

    cfg = RegistryConfig(model_name=MODEL_NAME, metric="multi@1")
    # 18 of 20 solved against the reference's 2: the gate promotes it, so both aliases are set
    with tracking.pipeline_run(ws, {"faults": True}) as parent:
        return register_task.fn(str(ws), ModelRef(str(model_dir), "candidate-fp"), evaluation("cand", 18),
                                evaluation("ref", 2), None, {"data_fingerprint": "d", "rollout_run_id": "r"},
                                cfg, parent.info.run_id)


if __name__ == "__main__":
    register_once(Path(sys.argv[1]), Path(sys.argv[2]))
