"""The pipeline flow end to end on the tiny world at small sizes, against a real Prefect server and MLflow SQLite store.

Four runs share one workspace: first (everything computed), identical rerun (everything Cached),
beta changed (rollout reused; weights, training, candidate evaluation and registration recomputed),
--refresh (everything recomputed). Task states are read back from the Prefect API, not from the flow.
"""

from __future__ import annotations

import os
import shutil

import pytest

pytestmark = pytest.mark.slow

STAGES = ["prompts", "eval-prompts", "rollout", "weights", "train", "evaluate-reference",
          "evaluate-candidate", "register"]


def tiny_config(ws, *extra):
    """The embedded tiny-world config at small sizes."""
    from drift_core.config import load_config

    return load_config(None, [
        f"workspace={ws}", "prompts.limit=6", "eval_prompts.limit=6",
        "rollout.n=2", "rollout.max_new_tokens=6", "protocol.max_turns=2",
        "train.max_steps=2", "train.per_device_train_batch_size=4", "eval.max_new_tokens=6",
        *extra,
    ])


def task_runs(flow_run_id: str) -> list[tuple[str, str]]:
    """(task run name prefix, state name) of every task run of the flow run, as the Prefect API reports them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return [(r.name.rsplit("-", 1)[0], r.state.name) for r in runs]


def task_states(flow_run_id: str) -> dict[str, str]:
    """Stage -> state name. The shard tasks (rollout-shard, eval-shard) run inside their stage, mapped one per
    shard on the task runner (tasks/shards.py); the stages are what the cache assertions are about."""
    return {name: state for name, state in task_runs(flow_run_id) if not name.endswith("-shard")}


def info_logs(flow_run_id: str) -> str:
    """The flow run's INFO (and above) log lines, flow and task runs alike, as the Prefect API serves them
    (the UI's Logs tab reads the same endpoint)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId, LogFilterLevel
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()  # logs travel in batches: send what is queued first
    flt = LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]), level=LogFilterLevel(ge_=20))
    with get_client(sync_client=True) as client:
        return "\n".join(log.message for log in client.read_logs(log_filter=flt, limit=200))


@pytest.fixture(scope="module")
def runs(prefect_server, tiny_world_dir, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.drift_pipeline import drift_pipeline

    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)  # the embedded default: SQLite in the workspace
    ws = tmp_path_factory.mktemp("pipeline") / "ws"
    shutil.copytree(tiny_world_dir, ws / "tiny_world")  # the workspace's tiny world, built (test size)
    out = {"ws": ws}
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
            for name, extra, refresh in [("first", [], False), ("again", [], False),
                                         ("beta", ["weights.beta=0.5"], False), ("refresh", [], True)]:
                summary = drift_pipeline(config=tiny_config(ws, *extra), refresh=refresh)
                summary["api_states"] = task_states(summary["flow_run_id"])
                summary["shard_runs"] = [r for r in task_runs(summary["flow_run_id"]) if r[0].endswith("-shard")]
                out[name] = summary
            yield out
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved


def test_first_run_computes_every_stage(runs):
    assert runs["first"]["api_states"] == dict.fromkeys(STAGES, "Completed")
    # Each shard is a task run of its own (runner.kind local: in the stage's process): the rollout's one
    # shard, one per evaluation (reference, candidate).
    assert sorted(runs["first"]["shard_runs"]) == [("eval-shard", "Completed")] * 2 + [("rollout-shard", "Completed")]
    assert runs["again"]["shard_runs"] == []  # a cached stage runs no body, so maps no shard
    # No champion yet: the reference is the baseline, so the candidate is champion only if it beat it.
    first = runs["first"]
    assert first["decision"].startswith("against the reference (no champion yet)")
    assert first["promoted"] == ("significant" in first["decision"])


def test_identical_rerun_is_cached_everywhere(runs):
    assert runs["again"]["api_states"] == dict.fromkeys(STAGES, "Cached")
    # A cached registration says so, with where the alias stands now (not a stale "promoted").
    assert runs["again"]["decision"].startswith("registered earlier (cached)")
    assert runs["again"]["version"] == runs["first"]["version"]
    # How fast a cached rerun is depends on the machine's load: benchmarks/bench_cache.py measures it.


def test_changing_beta_reuses_the_rollout_only(runs):
    cached = {"prompts", "eval-prompts", "rollout", "evaluate-reference"}
    assert runs["beta"]["api_states"] == {s: "Cached" if s in cached else "Completed" for s in STAGES}


def test_refresh_recomputes_every_stage(runs):
    assert runs["refresh"]["api_states"] == dict.fromkeys(STAGES, "Completed")


def test_each_stage_logs_what_it_did_to_the_prefect_api(runs, prefect_server):
    import re

    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
        first, again = info_logs(runs["first"]["flow_run_id"]), info_logs(runs["again"]["flow_run_id"])
    # The tasks' own lines (tasks/*.py): counts, rates, the chosen run, the decision.
    assert "6 prompts of" in first
    assert re.search(r"run r-\w+ of tiny_world: 12 trajectories from 6 prompts \(n=2\), 1 of 1 shards written", first)
    assert re.search(r"tok/s\); sampled multi@1 [\d.]+ · multi@2 [\d.]+", first)
    assert re.search(r"scheme drift, beta 0.1, gamma 0.9: 12 weighted rows; mean ESS/n [\d.]+", first)
    assert re.search(r"2 steps on \d+ samples of run r-\w+ \(\d+ supervised tokens\)", first)
    assert re.search(r"\(6 problems\): multi@1 [\d.]+ · multi@2 [\d.]+, mean turns", first)
    assert re.search(r"drift-policy v1 registered as (champion|challenger \(no champion yet\)): against the", first)
    # The flow's line per stage, Cached ones included (a cached task runs no body, so logs nothing itself).
    for stage in STAGES:
        assert re.search(rf"^{stage}: Completed in [\d.]+ s$", first, re.M), stage
        assert re.search(rf"^{stage}: Cached in [\d.]+ s$", again, re.M), stage


def test_mlflow_parent_and_nested_runs(runs):
    import mlflow
    from mlflow.tracking import MlflowClient

    from tasks.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(runs["ws"]))
    client = MlflowClient()
    parent = client.get_run(runs["first"]["mlflow_run_id"])
    assert parent.data.tags["prefect.flow_run_id"] == runs["first"]["flow_run_id"]
    assert "candidate_multi_at_1" in parent.data.metrics
    # The parent's params are the flattened config: pipeline runs can be filtered by weights.beta.
    assert parent.data.params["weights.beta"] == "0.1" and parent.data.params["rollout.n"] == "2"
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    by_stage = {r.data.tags["drift.stage"]: r for r in children}
    assert set(by_stage) == set(STAGES)
    assert by_stage["rollout"].data.params["n"] == "2"
    assert by_stage["rollout"].data.metrics["trajectories"] == 12  # 6 prompts x n=2
    assert "mean_ess_fraction" in by_stage["weights"].data.metrics
    assert by_stage["weights"].data.params["beta"] == "0.1"
    # A stage's run lasts as long as the stage did (at least its own measured seconds), not its logging.
    train = by_stage["train"].info
    assert (train.end_time - train.start_time) / 1000 >= 0.9 * by_stage["train"].data.metrics["seconds"]
    loss = client.get_metric_history(by_stage["train"].info.run_id, "train_loss")
    assert len(loss) >= 1
    assert "multi_at_2" in by_stage["evaluate-candidate"].data.metrics
    assert by_stage["register"].data.tags["drift.version"] == "1"

    def files(run, path=""):
        return {f.path for f in client.list_artifacts(run.info.run_id, path)}

    assert "config/resolved.yaml" in files(parent, "config")
    assert {"weights/weight_distribution.png", "weights/weights_sample.csv"} <= files(by_stage["weights"], "weights")
    assert "evaluate-candidate/accuracy_by_turn.png" in files(by_stage["evaluate-candidate"], "evaluate-candidate")
    # Cached stages still get their nested run, marked as such.
    again = client.search_runs([parent.info.experiment_id],
                               f"tags.mlflow.parentRunId = '{runs['again']['mlflow_run_id']}'")
    assert {r.data.tags["drift.cached"] for r in again} == {"true"}


def test_prefect_flow_run_links_to_mlflow(runs, prefect_server):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}), get_client(sync_client=True) as c:
        fr = c.read_flow_run(runs["first"]["flow_run_id"])
    assert f"mlflow-run:{runs['first']['mlflow_run_id']}" in fr.tags


def test_registered_model_loads_from_the_registry_and_generates(runs):
    import mlflow

    from tasks.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(runs["ws"]))
    model = mlflow.pyfunc.load_model("models:/drift-policy@challenger")  # champion only if it beat the reference
    out = model.predict(["What is 2 + 3?"], params={"max_new_tokens": 4, "prefill": "<answer>"})
    assert len(out) == 1 and isinstance(out[0], str) and out[0].startswith("<answer>")
