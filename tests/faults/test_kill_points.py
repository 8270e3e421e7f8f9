"""SIGKILL at each stage's dangerous point, then a rerun: exactly-once results (docs/reliability.md).

Each test runs a real stage in a subprocess with DRIFT_FAULT_POINT set, so the process kills itself at
that point (no cleanup runs, as with a real kill), looks at what a reader sees then, reruns the stage
in-process without the fault and checks the result. Real parts only: DuckDB, Parquet, transformers'
Trainer on a random Llama, MLflow's SQLite store.
"""

from __future__ import annotations

import json
import time

import duckdb
import pytest

from cli.testing import drift
from drift_core.store import Workspace
from tests.faults.killing import REPO, assert_killed, killed_at, leftovers, start

pytestmark = pytest.mark.slow

RUN = "kill"


def rollout_args(ws, model, count=6):
    return ["rollout", "-w", ws, "--model", model, "--engine", "hf", "--n", 2, "--max-turns", 2, "--quiet",
            "--run-id", RUN, "--set", "prompts.source=arithmetic", "--set", f"prompts.count={count}",
            "--set", "prompts.levels=[3,4]", "--set", "rollout.prompts_per_shard=2",
            "--set", "rollout.max_new_tokens=6"]


def counts(ws: Workspace) -> dict:
    """What a reader sees: rows per view, and turns whose trajectory is not visible."""
    con = ws.connect(read_only=True)
    try:
        q = {"trajectories": "select count(*) from trajectories",
             "turn_trajectories": "select count(distinct (run_id, prompt_id, sample_idx)) from turns",
             "orphan_turns": "select count(*) from turns anti join trajectories using (run_id, prompt_id, sample_idx)",
             "dup_turns": "select count(*) - count(distinct (run_id, prompt_id, sample_idx, turn)) from turns"}
        return {k: con.execute(v).fetchone()[0] for k, v in q.items()}
    finally:
        con.close()


def read_while_writing(ws: Workspace, proc) -> set[int]:
    """Readers (read-only connections, as `drift sql` opens) in a loop while `proc` writes shards; returns the
    trajectory counts they saw. Shards only ever appear, turns file first, so these checks are race-free:
    turns seen before trajectories are queried must have them, and trajectories seen must have their turns."""
    seen = set()
    deadline = time.time() + 240
    while proc.poll() is None and time.time() < deadline:
        if ws.warehouse.exists():
            con = ws.connect(read_only=True)
            try:
                turns = {r[0] for r in con.execute("select distinct prompt_id from turns").fetchall()}
                traj = dict(con.execute("select prompt_id, count(*) from trajectories group by all").fetchall())
                turns_after = {r[0] for r in con.execute("select distinct prompt_id from turns").fetchall()}
                short = con.execute("""select count(*) from trajectories t join (select prompt_id, sample_idx,
                    count(*) n from turns group by all) u using (prompt_id, sample_idx) where u.n <> t.num_turns
                    """).fetchone()[0]
            finally:
                con.close()
            assert turns <= set(traj), f"turns of an incomplete shard visible: {sorted(turns - set(traj))}"
            assert set(traj) <= turns_after and set(traj.values()) <= {2} and short == 0  # whole shards (n=2)
            seen.add(sum(traj.values()))
        time.sleep(0.1)  # leave the CPU to the writer
    return seen


def test_rollout_killed_between_a_shards_turns_and_trajectories(tmp_path, random_model_dir):
    ws = Workspace(tmp_path / "ws")
    args = rollout_args(ws.root, random_model_dir, count=8)  # 4 shards of 2 prompts x n=2
    point = "rollout.after_turns_shard#4"  # shards 0-2 complete; shard 3's turns file only
    proc = start(point, *args)
    seen = read_while_writing(ws, proc)  # concurrent readers see only complete shards
    assert_killed(proc, point)
    assert seen - {0}, f"no reader query landed while shards were there ({seen})"
    assert ws.shard_path("turns", RUN, 3).exists() and not ws.shard_path("trajectories", RUN, 3).exists()
    on_disk = duckdb.connect().execute("select count(distinct (prompt_id, sample_idx)) from read_parquet(?)",
                                       [str(ws.table_dir("turns") / RUN / "shard-*.parquet")]).fetchone()[0]
    assert on_disk == 16  # 4 shards in turns files ...
    assert counts(ws) == {"trajectories": 12, "turn_trajectories": 12, "orphan_turns": 0, "dup_turns": 0}  # 3 shown
    done = ws.shard_path("trajectories", RUN, 0).stat().st_mtime_ns

    assert drift(*args) == 0  # resumes: shard 3 again (its turns file replaced)
    assert counts(ws) == {"trajectories": 16, "turn_trajectories": 16, "orphan_turns": 0, "dup_turns": 0}
    assert ws.shard_path("trajectories", RUN, 0).stat().st_mtime_ns == done  # finished shards kept
    assert not leftovers(ws.root / "tables")


@pytest.fixture(scope="module")
def rolled_out(tmp_path_factory, random_model_dir):
    """A workspace with one finished rollout (12 trajectories), copied by each test that changes it."""
    ws = tmp_path_factory.mktemp("rolled") / "ws"
    assert drift(*rollout_args(ws, random_model_dir)) == 0
    return ws


def test_weights_killed_before_commit_leave_nothing_and_rerun_once(rolled_out, tmp_path):
    import shutil

    ws = Workspace(shutil.copytree(rolled_out, tmp_path / "ws"))
    args = ["weights", "-w", ws.root, "--scheme", "drift", "--run-id", RUN]
    killed_at("sql.before_commit", *args)  # returns and weights computed in one transaction, not committed

    def table_rows():
        con = ws.connect(read_only=True)
        try:
            names = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
            return {t: con.execute(f"select count(*) from {t}").fetchone()[0] if t in names else 0
                    for t in ("returns", "weight_rows")}
        finally:
            con.close()

    assert table_rows() == {"returns": 0, "weight_rows": 0}  # the warehouse opens; nothing of the write
    assert drift(*args) == 0
    con = ws.connect(read_only=True)
    n, keys, mean = con.execute("select count(*), count(distinct (prompt_id, sample_idx)), avg(weight) "
                                "from weights where run_id = ?", [RUN]).fetchone()
    con.close()
    assert n == keys == 12 and mean == pytest.approx(1.0)  # each prompt's weights average 1 (design §1)


# -- training ------------------------------------------------------------------------------------------
FAST = ["--set", "train.per_device_train_batch_size=4", "--set", "train.gradient_accumulation_steps=1",
        "--set", "train.learning_rate=1e-3", "--quiet"]


def complete_model(out) -> dict:
    from transformers import AutoModelForCausalLM

    AutoModelForCausalLM.from_pretrained(out)
    return json.loads((out / "drift_train.json").read_text())


def test_training_killed_before_its_model_is_published(tmp_path, random_model_dir, data_file):
    out = tmp_path / "model"
    args = ["train", "-w", tmp_path / "ws", "--data", data_file, "--model", random_model_dir, "--out", out,
            "--max-steps", 2, *FAST]
    killed_at("train.before_publish", *args)  # model, tokenizer and summary saved in the staging dir
    assert not out.exists()  # a model directory is there complete, or not at all
    assert (tmp_path / ".model.partial" / "drift_train.json").exists()
    assert drift(*args) == 0  # no checkpoints were saved (save_steps 200): it simply trains again
    assert complete_model(out)["global_step"] == 2
    assert not (tmp_path / ".model.partial").exists()


def test_training_killed_after_a_checkpoint_resumes_only_when_asked(tmp_path, random_model_dir, data_file, capsys):
    out = tmp_path / "model"
    args = ["train", "-w", tmp_path / "ws", "--data", data_file, "--model", random_model_dir, "--out", out,
            "--max-steps", 4, "--set", "train.save_steps=2", *FAST]
    killed_at("train.after_checkpoint", *args)  # checkpoint-2 saved, then killed
    assert not out.exists()
    capsys.readouterr()
    assert drift(*args) == 1  # issue 18 item 5: no silent restart from step 0
    err = capsys.readouterr().err
    assert "checkpoint-2" in err and "--resume" in err and "--overwrite" in err
    assert drift(*args, "--resume") == 0
    summary = complete_model(out)
    assert summary["global_step"] == 4 and [s for s, _ in summary["train_loss"]] == [1, 2, 3, 4]
    assert not (out / "checkpoints").exists() and not (tmp_path / ".model.partial").exists()


# -- registration ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("point", ["register.after_create_version", "register.before_complete"])
def test_registration_killed_is_finished_once_and_its_runs_marked_killed(tmp_path, random_model_dir, point,
                                                                         monkeypatch):
    from mlflow.tracking import MlflowClient

    from tasks.registry import COMPLETE, REGISTRATION
    from tasks.tracking import setup
    from tests.faults.register_worker import MODEL_NAME, register_once

    ws = tmp_path / "ws"
    killed_at(point, ws, random_model_dir, script=str(REPO / "tests" / "faults" / "register_worker.py"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    setup(ws)
    (found,) = MlflowClient().search_model_versions(f"name = '{MODEL_NAME}'")  # the orphan version
    orphan = MlflowClient().get_model_version(MODEL_NAME, found.version)  # (search leaves out the aliases)
    assert orphan.tags[REGISTRATION] == "pending"
    assert ("champion" in orphan.aliases) == (point == "register.before_complete")
    res = register_once(ws, random_model_dir)  # the rerun: marks the killed runs, finishes the version
    again = register_once(ws, random_model_dir)  # the same inputs once more: no second version either
    client = MlflowClient()
    versions = client.search_model_versions(f"name = '{MODEL_NAME}'")
    assert [str(v.version) for v in versions] == ["1"] and res.version == again.version == "1"
    tags = versions[0].tags
    assert tags[REGISTRATION] == COMPLETE and tags["model_fingerprint"] == "candidate-fp"
    assert {"eval_id", "eval_set", "run_id", "promotion", "multi_at_1", "baseline", "gate_delta"} <= set(tags)
    assert res.promoted and "against the reference" in res.decision["reason"]
    for alias in ("challenger", "champion"):
        assert str(client.get_model_version_by_alias(MODEL_NAME, alias).version) == "1"
    runs = client.search_runs([client.get_experiment_by_name("drift").experiment_id])
    status = {r.info.run_id: r.info.status for r in runs}
    assert status[tags["run_id"]] == "KILLED"  # the killed register run, and its killed parent
    assert sorted(status.values()) == ["FINISHED", "FINISHED", "KILLED", "KILLED"]
