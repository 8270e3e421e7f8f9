"""Tables on S3 (drift_core/table_files.py, tables_location.py): a workspace whose shards live in a bucket of a
real S3-compatible server (moto, started on 127.0.0.1 by the `s3_server` fixture) writes, reads, resumes
and hides incomplete shards as one on local disk does."""

import json

import pyarrow as pa
import pytest
import s3fs

from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig
from drift_core.errors import DriftError
from drift_core.fingerprint import rollout_fingerprint
from drift_core.jsonl_io import import_jsonl
from drift_core.prompts import load_prompts
from drift_core.readonly import run_readonly
from drift_core.rollout import rollout
from drift_core.store import Workspace
from drift_core.tables_location import POINTER
from drift_core.testing.reference_records import write_jsonl
from drift_core.weights import shard_signature

ROWS = "select * from {t} order by all"


def small_cfg(**kw):
    return RolloutConfig(**{**dict(engine="hf", n=2, max_new_tokens=6, prompts_per_shard=2, seed=1), **kw})


def prompts(count=5):
    return load_prompts(PromptsConfig(source="arithmetic", count=count, levels=[1, 3], seed=0))


def rows(ws: Workspace, table: str) -> list[tuple]:
    con = ws.connect(read_only=True)
    try:
        return con.execute(ROWS.format(t=table)).fetchall()
    finally:
        con.close()


def keys(uri: str) -> list[str]:
    return sorted(s3fs.S3FileSystem(skip_instance_cache=True).find(uri.removeprefix("s3://")))


def test_rollout_on_s3_equals_local_and_resumes(tmp_path, s3_bucket, random_model_dir):
    args = (prompts(), ProtocolConfig(max_turns=2), small_cfg(), str(random_model_dir))
    local = Workspace(tmp_path / "local")
    s3 = Workspace(tmp_path / "s3", tables_uri=f"{s3_bucket}/tables")
    first_local = rollout(local, *args, progress=False)
    first = rollout(s3, *args, progress=False)
    assert (first.run_id, first.shards_written) == (first_local.run_id, 3)
    run = first.run_id
    for table in ("trajectories", "turns"):
        assert rows(s3, table) == rows(local, table) and len(rows(s3, table)) > 0
    # everything of the tables is in the bucket; nothing under the workspace's own tables/
    stored = keys(s3_bucket)
    assert f"{s3_bucket[5:]}/tables/trajectories/{run}/shard-00002.parquet" in stored
    assert f"{s3_bucket[5:]}/tables/turns/_schema.parquet" in stored
    assert f"{s3_bucket[5:]}/tables/trajectories/{run}/_run.json" in stored
    assert not (s3.root / "tables").exists() and s3.warehouse.exists()
    assert json.loads((s3.root / POINTER).read_text()) == {"tables_uri": f"{s3_bucket}/tables"}

    # resume: the finished shards are skipped; a shard whose marker is gone is written again, the same
    fp, sig = rollout_fingerprint(s3, run), shard_signature(s3, run)
    assert rollout(s3, *args, progress=False).shards_skipped == 3
    assert (rollout_fingerprint(s3, run), shard_signature(s3, run)) == (fp, sig)
    s3.files.remove(s3.shard_location("trajectories", run, 1))
    assert not s3.shard_done(run, 1) and rollout_fingerprint(s3, run) != fp
    again = Workspace(tmp_path / "s3")  # no tables_uri: found again from the workspace's tables.json
    assert again.tables_uri == f"{s3_bucket}/tables"
    res = rollout(again, *args, progress=False)
    assert (res.shards_written, res.shards_skipped) == (1, 2)
    assert rows(again, "trajectories") == rows(local, "trajectories")
    assert rollout_fingerprint(again, run) == fp  # the same bytes, so the same ETags


def test_turns_of_an_unfinished_shard_stay_hidden_on_s3(tmp_path, s3_bucket):
    """The trajectories shard is the completion marker on S3 as on disk: turns written without it are not
    in the `turns` view (a killed rollout), and appear with it."""
    ws = Workspace(tmp_path / "ws", tables_uri=s3_bucket)
    turn = {"run_id": "r", "prompt_id": "p", "sample_idx": 0, "turn": 1, "response": "x", "answer": "1",
            "answer_norm": "1", "correct": True, "reward": 1.0, "format_ok": True, "format_penalty": 0.0,
            "completion_tokens": 3}
    traj = {"run_id": "r", "prompt_id": "p", "sample_idx": 0, "policy": "m", "gold": "1",
            "messages": [{"role": "user", "content": "q"}], "num_turns": 1, "max_turns": 2, "t_star": 1,
            "format_penalty": 0.0, "answer_norms": ["1"], "turn_rewards": [1.0, 0.0], "reward_details": "{}",
            "extra": None}
    ws.connect().close()  # schema files and views
    where = ws.write_shard("turns", "r", 0, pa.Table.from_pylist([turn]))
    assert where == f"{s3_bucket}/turns/r/shard-00000.parquet"
    assert rows(ws, "turns") == [] and not ws.shard_done("r", 0)
    ws.write_shard("trajectories", "r", 0, pa.Table.from_pylist([traj]))
    assert len(rows(ws, "turns")) == 1 and ws.shard_done("r", 0)
    # drift sql reads the same rows through its confined connection (Arrow over the S3 objects)
    assert run_readonly(ws, "select count(*) as n from turns").to_pylist() == [{"n": 1}]
    # ... and, though s3fs is registered on it, still opens no object itself (drift_core/readonly.py guard 3)
    with pytest.raises(DriftError, match="file system operations are disabled"):
        run_readonly(ws, f"select * from read_parquet('{s3_bucket}/turns/r/shard-00000.parquet')")
    # no temp object is ever published: the one upload is the shard
    assert not [k for k in keys(s3_bucket) if k.endswith(".tmp")]


def test_tables_location_is_recorded_and_checked(tmp_path, s3_bucket):
    root = tmp_path / "ws"
    Workspace(root, tables_uri=f"{s3_bucket}/a/")  # a trailing slash is the same place
    assert Workspace(root).tables_uri == Workspace(root, tables_uri=f"{s3_bucket}/a").tables_uri == f"{s3_bucket}/a"
    with pytest.raises(DriftError, match=r"keeps its tables at s3://.*/a .*not at tables_uri s3://.*/b"):
        Workspace(root, tables_uri=f"{s3_bucket}/b")
    local = Workspace(tmp_path / "local")
    local.connect().close()  # local tables exist now
    with pytest.raises(DriftError, match="keeps its tables on local disk"):
        Workspace(tmp_path / "local", tables_uri=s3_bucket)
    with pytest.raises(DriftError, match=r"tables_uri: '/data/t' is not an S3 location"):
        Workspace(tmp_path / "other", tables_uri="/data/t")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / POINTER).write_text("{}")
    with pytest.raises(DriftError, match=r"bad/tables.json: unreadable"):
        Workspace(tmp_path / "bad")


def test_a_missing_bucket_is_named(tmp_path, s3_bucket):
    ws = Workspace(tmp_path / "ws", tables_uri=f"{s3_bucket}-missing/t")
    with pytest.raises(DriftError, match=r"s3://drift-\w+-missing/t/\w+/_schema.parquet: .*bucket"):
        ws.connect()


def test_local_only_commands_refuse_s3_tables(tmp_path, s3_bucket):
    ws = Workspace(tmp_path / "ws", tables_uri=s3_bucket)
    src = write_jsonl(tmp_path / "traj.jsonl", 8, group=4, seed=1)
    with pytest.raises(DriftError, match=rf"keeps its tables at {s3_bucket}: this command works on tables on local"):
        import_jsonl(ws, src, run_id="imp")
