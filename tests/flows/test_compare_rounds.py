"""The arm drift-r2 of `drift compare --quick` (one of its quick arms): iterative DRIFT's second round samples from
the first round's model, trains from it, and the page, the .json and MLflow keep the round (the runs:
tests/flows/conftest.py)."""

from __future__ import annotations

import json

import pytest

from drift_core.store import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(quick_compare):
    return quick_compare


def test_round_two_samples_from_round_one_and_counts_both(run):
    from drift_core.sqlfiles import run_sql

    states, recs = run["full"]["states"], run["full"]["records"]
    for seed in (0, 1):
        label = f"drift-r2.s{seed}"
        for stage in ("rollout", "weights", "train"):
            assert states[f"{stage}.{label}.round2"] in ("Completed", "Cached")
        assert states[f"eval.{label}.round1"] in ("Completed", "Cached")  # round 1's model, scored on test
        rec = next(r for r in recs if r["arm"] == "drift-r2" and r["seed"] == seed)
        one, two = rec["rounds"]
        assert (one["round"], two["round"]) == (1, 2) and two["greedy"] == rec["greedy"]
        shared = next(r for r in recs if r["arm"] == "uniform")["rollout_tokens"]  # the reference's rollout
        assert one["rollout_tokens"] == shared < two["rollout_tokens"] == rec["rollout_tokens"]
        assert one["trained_tokens"] < two["trained_tokens"] and one["train_seconds"] < two["train_seconds"]
    con = Workspace(run["ws"]).connect(read_only=True)
    rounds = {run_id: k for run_id, _, k in run_sql(con, "lookups/runs").fetchall()}
    con.close()
    later = [run_id for run_id, k in rounds.items() if k == 2]  # one per round-1 model (seed, learning rate)
    assert len(later) >= 2 and all(run_id.endswith("-round2") for run_id in later)
    assert sorted(set(rounds.values())) == [1, 2]


def test_page_json_and_plot_keep_the_rounds(run):
    md = run["out"].read_text()
    assert "## Rounds (iterative DRIFT)" in md and "![multi@k by round](tiny_world_rounds.png)" in md
    assert "| drift-r2 | 1 |" in md and "| drift-r2 | 2 |" in md
    png = run["out"].with_name("tiny_world_rounds.png")
    assert png.read_bytes()[:4] == b"\x89PNG" and str(png) in run["full"]["files"]
    js = json.loads(run["out"].with_suffix(".json").read_text())
    assert all(len(r["rounds"]) == 2 for r in js["records"] if r["arm"] == "drift-r2")
    assert "`drift-r2` 2 rounds" in js["facts"]["rounds"]


def test_per_round_figures_go_to_mlflow(run):
    import mlflow
    from mlflow.tracking import MlflowClient

    from tasks.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(run["ws"]))
    client = MlflowClient()
    parent = run["full"]["mlflow_run_id"]
    exp = client.get_run(parent).info.experiment_id
    (arm_run,) = client.search_runs([exp], f"tags.mlflow.parentRunId = '{parent}' and tags.`drift.arm` = 'drift-r2' "
                                           "and tags.`drift.seed` = '0' and tags.`drift.purpose` = 'test'")
    for name in ("round.multi_at_1", "round.rollout_tokens", "round.train_seconds"):
        assert [m.step for m in client.get_metric_history(arm_run.info.run_id, name)] == [1, 2], name
    files = {f.path for f in client.list_artifacts(parent, "compare")}
    assert "compare/tiny_world_rounds.png" in files
