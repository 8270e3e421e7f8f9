"""The arm online-grpo of `drift compare --quick` (one of its quick arms), against a real Prefect server and
MLflow SQLite: real TRL, the test-size tiny world, two steps per training (the runs: tests/flows/conftest.py)."""

from __future__ import annotations

import json
import math
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
        assert summary["trajectories"] == 4 * summary["steps"]  # quick: 2 prompts x 2 trajectories per step
        assert rec["rollout_tokens"] == summary["generated_tokens"] > 0  # its own sampling, in the generated field
        assert rec["trained_tokens"] == summary["trained_tokens"] > 0
        # its wall time split in three: sampling is generation, scoring checkpoints is neither, the rest training
        assert 0 < rec["generation_seconds"] < summary["seconds"]
        assert rec["generation_seconds"] + rec["train_seconds"] + summary["checkpoint_seconds"] == pytest.approx(
            summary["seconds"])
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
    rec = next(r for r in run["full"]["records"] if r["arm"] == "online-grpo" and r["seed"] == 0)
    steps = rec["online"]["steps"]
    assert [m.step for m in client.get_metric_history(stage.info.run_id, "reward")] == list(range(1, steps + 1))
    # the validation curve: one point per checkpoint, its step the generated tokens so far
    curve = client.get_metric_history(stage.info.run_id, "checkpoint_multi_at_3")
    assert [m.step for m in curve] == [p["generated_tokens"] for p in rec["online"]["checkpoints"]]


def test_online_arm_runs_to_its_token_budget_and_records_its_validation_curve(run):
    shared = next(r for r in run["full"]["records"] if r["arm"] == "drift")["rollout_tokens"]  # one DRIFT round
    multiple = run["compare"].online_token_multiple
    for rec in (r for r in run["full"]["records"] if r["arm"] == "online-grpo"):
        online = rec["online"]
        assert online["token_budget"] == math.ceil(multiple * shared) and online["stopped_by"] == "token_budget"
        assert rec["rollout_tokens"] >= multiple * shared and online["steps"] < run["compare"].online_max_steps
        points = online["checkpoints"]
        assert len(points) == run["compare"].online_checkpoints + 1  # and one before the first step
        tokens = [p["generated_tokens"] for p in points]
        assert tokens[0] == 0 and tokens == sorted(set(tokens)) and tokens[-1] == rec["rollout_tokens"]
        assert all(0 <= p["multi@3"] <= 1 for p in points) and points[-1]["step"] == online["steps"]
    js = json.loads(run["out"].with_suffix(".json").read_text())
    assert all(r["online"]["checkpoints"] for r in js["records"] if r["arm"] == "online-grpo")  # per seed, kept


def test_page_plots_against_tokens_and_reads_drift_against_online_grpo(run):
    png = run["out"].with_name("tiny_world_tokens.png")
    assert png.read_bytes()[:4] == b"\x89PNG" and str(png) in run["full"]["files"]
    md = run["out"].read_text()
    section = md.split("## DRIFT vs online GRPO", 1)[1].split("\n## ", 1)[0]
    assert "![greedy multi@3 against generated tokens](tiny_world_tokens.png)" in section
    for arm in ("drift", "drift-ext", "drift-r2"):
        assert f"- `{arm}`: greedy multi@3" in section and "of online GRPO's generated tokens" in section
    assert "stopped by token_budget" in section
    assert "estimated default-size wall time" in md and "min for these 8 arms at the default size" in md
    assert run["full"]["estimate"].startswith(md.split("estimated default-size wall time: ", 1)[1][:6])
