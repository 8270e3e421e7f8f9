"""`drift run --rounds N` (iterative DRIFT) as a flow on the tiny world at small sizes, against a real Prefect
server and MLflow SQLite: rounds=2, then rounds=3 in the same workspace, whose rounds 1-2 are Cached."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.flows.test_drift_pipeline import task_states, tiny_config

pytestmark = pytest.mark.slow

ROUND_ONE = ["rollout", "weights", "train", "evaluate-candidate"]


def later(k: int) -> list[str]:
    return [f"{s}.round{k}" for s in ROUND_ONE]


@pytest.fixture(scope="module")
def runs(prefect_server, tiny_world_dir, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.drift_pipeline import drift_pipeline

    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    ws = tmp_path_factory.mktemp("rounds") / "ws"
    shutil.copytree(tiny_world_dir, ws / "tiny_world")
    out = {"ws": ws}
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
            for rounds in (2, 3):
                summary = drift_pipeline(config=tiny_config(ws, "registry.enabled=false"), rounds=rounds)
                summary["api_states"] = task_states(summary["flow_run_id"])
                out[rounds] = summary
            yield out
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved


def test_more_rounds_reuse_the_cached_earlier_rounds(runs):
    first = ["prompts", "eval-prompts", "evaluate-reference", *ROUND_ONE]
    assert runs[2]["api_states"] == dict.fromkeys(first + later(2), "Completed")
    assert runs[3]["api_states"] == dict.fromkeys(first + later(2), "Cached") | dict.fromkeys(later(3), "Completed")


def test_each_round_samples_from_the_last_rounds_model(runs):
    from drift_core.config import load_config
    from flows.drift_pipeline import planned_stages

    rows = runs[3]["rounds"]
    assert [r["round"] for r in rows] == [1, 2, 3] and rows[:2] == runs[2]["rounds"]
    from drift_core.sqlfiles import run_sql
    from drift_core.store import Workspace

    ws = Workspace(runs["ws"])
    con = ws.connect(read_only=True)
    try:
        rounds = {run_id: k for run_id, _, k in run_sql(con, "lookups/runs").fetchall()}
        policy = {r["run_id"]: run_sql(con, "lookups/run_policy", {"run_id": r["run_id"]}).fetchone()[0] for r in rows}
    finally:
        con.close()
    assert rounds == {r["run_id"]: r["round"] for r in rows}  # the table keeps the round (in the run id)
    assert [r["run_id"].endswith(f"-round{r['round']}") for r in rows] == [False, True, True]
    for prev, row in zip(rows, rows[1:], strict=False):  # round k sampled from round k-1's trained model
        assert ws.resolve(policy[row["run_id"]]) == ws.resolve(prev["model"])
    tokens = [r["rollout_tokens"] for r in rows]  # the cost so far: every round's rollout
    assert 0 < tokens[0] < tokens[1] < tokens[2]
    assert runs[3]["candidate"]["multi@1"] == rows[2]["multi@1"]  # the last round's model is the candidate
    assert planned_stages(load_config(None, ["registry.enabled=false"]), 3)[-4:] == later(3)


def test_per_round_figures_and_plot_go_to_mlflow(runs):
    import mlflow
    from mlflow.tracking import MlflowClient

    from tasks.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(runs["ws"]))
    client = MlflowClient()
    parent = runs[3]["mlflow_run_id"]
    history = client.get_metric_history(parent, "round.multi_at_2")
    assert [m.step for m in history] == [1, 2, 3]
    assert [m.value for m in history] == [r["multi@2"] for r in runs[3]["rounds"]]
    assert [m.step for m in client.get_metric_history(parent, "round.rollout_tokens")] == [1, 2, 3]
    assert "rounds/multi_at_k_by_round.png" in {f.path for f in client.list_artifacts(parent, "rounds")}
