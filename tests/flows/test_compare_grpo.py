"""The arm online-grpo of `drift compare --quick` (one of its quick arms), against a real Prefect server and
MLflow SQLite: real TRL, the test-size tiny world, two steps per training (the runs: tests/flows/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drift_core.compare.cost import GIB
from drift_core.store import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(quick_compare):
    return quick_compare


def test_online_arm_trains_with_the_budget_and_counts_its_cost(run):
    states = run["full"]["states"]
    # the chosen learning rate's seed-0 training is the selection's own run, reused as every arm's is
    assert states["grpo.online-grpo.s0"] in ("Completed", "Cached") and states["eval.online-grpo.s0"] == "Completed"
    for rec in (r for r in run["full"]["records"] if r["arm"] == "online-grpo"):
        summary = json.loads((Path(Workspace(run["ws"]).resolve(rec["model"])) / "drift_grpo.json").read_text())
        assert summary["steps"] == run["compare"].max_steps == 2
        assert summary["trajectories"] == 2 * 4  # quick: 2 prompts x 2 trajectories per step
        assert rec["rollout_tokens"] == summary["generated_tokens"] > 0  # its own sampling, in the generated field
        assert rec["trained_tokens"] == summary["trained_tokens"] > 0
        # its wall time split in two: sampling is generation, the rest training
        assert 0 < rec["generation_seconds"] < summary["seconds"]
        assert rec["generation_seconds"] + rec["train_seconds"] == pytest.approx(summary["seconds"])
        assert 0.1 < rec["peak_rss_gib"] < 64  # the process's resident memory while it trained, in GiB
    ref = next(r for r in run["full"]["records"] if r["arm"] == "reference")
    assert (ref["rollout_tokens"], ref["trained_tokens"], ref["train_seconds"], ref["generation_seconds"],
            ref["peak_rss_gib"]) == (0, 0, 0.0, 0.0, None)


def test_offline_arms_count_the_shared_rollout_whole(run):
    rollout = run["full"]["states"]["rollout"]
    assert rollout == "Completed"
    recs = [r for r in run["full"]["records"] if r["arm"] in ("uniform", "drift")]
    assert len({r["rollout_tokens"] for r in recs}) == 1 and recs[0]["rollout_tokens"] > 0  # the same rollout
    assert len({r["generation_seconds"] for r in recs}) == 1 and recs[0]["generation_seconds"] > 0
    assert all(r["trained_tokens"] > 0 and r["peak_rss_gib"] * GIB > 0 for r in recs)


def test_online_arm_learning_rate_comes_from_the_grid(run):
    sel = {s["arm"]: s for s in json.loads(run["out"].with_suffix(".json").read_text())["selections"]}
    assert list(sel["online-grpo"]["scores"]) == [f"{lr:g}" for lr in run["compare"].lr_grid]
    rec = next(r for r in run["full"]["records"] if r["arm"] == "online-grpo")
    assert rec["learning_rate"] == sel["online-grpo"]["chosen"]
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
    assert {"generated_tokens", "trained_tokens", "seconds", "generation_seconds",
            "peak_rss_bytes"} <= set(stage.data.metrics)
    assert [m.step for m in client.get_metric_history(stage.info.run_id, "reward")] == [1, 2]
