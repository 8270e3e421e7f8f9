"""The arm online-grpo of `drift compare --quick` (`--set compare.arms=[reference,online-grpo]`), against a real
Prefect server and MLflow SQLite: real TRL, the test-size tiny world, two steps per training."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from drift_core.store import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(prefect_server, tiny_world_dir, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from drift_core.config import load_config
    from drift_core.config.compare import QUICK_COMPARE, QUICK_PIPELINE, CompareConfig
    from drift_core.config.compare import split_overrides as split
    from flows.compare import drift_compare

    root = tmp_path_factory.mktemp("compare_grpo")
    ws = root / "ws"
    shutil.copytree(tiny_world_dir, ws / "tiny_world")
    cfg = load_config(None, [*QUICK_PIPELINE, f"workspace={ws}"])
    compare = CompareConfig.model_validate(
        split([*QUICK_COMPARE, "compare.arms=[reference,online-grpo]", "compare.seeds=[0]",
               "compare.sampled=false"], "compare")[1] | {"output": str(root / "table.md")})
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
            yield {"ws": ws, "compare": compare, "cfg": cfg, "out": root / "table.md",
                   "result": drift_compare(cfg, compare, command="drift compare --quick (online-grpo)")}
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved


def test_online_arm_trains_with_the_budget_and_counts_its_cost(run):
    states = run["result"]["states"]
    # the chosen learning rate's seed-0 training is the selection's own run, reused as every arm's is
    assert states["grpo.online-grpo.s0"] in ("Completed", "Cached") and states["eval.online-grpo.s0"] == "Completed"
    assert "rollout" not in states  # no offline arm: nothing sampled from the reference
    rec = next(r for r in run["result"]["records"] if r["arm"] == "online-grpo")
    summary = json.loads((Path(Workspace(run["ws"]).resolve(rec["model"])) / "drift_grpo.json").read_text())
    assert summary["steps"] == run["compare"].max_steps == 2
    assert summary["trajectories"] == 2 * 4  # quick: 2 prompts x 2 trajectories per step
    assert rec["rollout_tokens"] == summary["generated_tokens"] > 0  # its own sampling, in the offline field
    assert rec["trained_tokens"] == summary["trained_tokens"] > 0
    assert rec["train_seconds"] == pytest.approx(summary["seconds"])
    ref = next(r for r in run["result"]["records"] if r["arm"] == "reference")
    assert (ref["rollout_tokens"], ref["trained_tokens"], ref["train_seconds"]) == (0, 0, 0.0)


def test_online_arm_learning_rate_comes_from_the_grid(run):
    sel = json.loads(run["out"].with_suffix(".json").read_text())["selections"]
    assert [s["arm"] for s in sel] == ["online-grpo"]
    assert list(sel[0]["scores"]) == [f"{lr:g}" for lr in run["compare"].lr_grid]
    rec = next(r for r in run["result"]["records"] if r["arm"] == "online-grpo")
    assert rec["learning_rate"] == sel[0]["chosen"]
    md = run["out"].read_text()
    assert "| online-grpo |" in md and "online-grpo" in md.split("## Arms", 1)[1]


def test_grpo_stage_logs_its_cost_and_reward_series_to_mlflow(run):
    import mlflow
    from mlflow.tracking import MlflowClient

    from tasks.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(run["ws"]))
    client = MlflowClient()
    exp = client.get_experiment_by_name("drift").experiment_id
    stage = client.search_runs([exp], "tags.`drift.stage` = 'grpo.online-grpo.s0'")[0]
    assert {"generated_tokens", "trained_tokens", "seconds", "generation_seconds"} <= set(stage.data.metrics)
    assert [m.step for m in client.get_metric_history(stage.info.run_id, "reward")] == [1, 2]
