"""`drift rollout`, `drift weights` and `drift export-dataset` run unchanged on a workspace whose tables live on S3
(tables_uri; a real S3-compatible server, moto, on 127.0.0.1): the same rows as on local disk, the exported
training set written to an s3:// URI equal to the local file (docs/scale-out.md)."""

import json
import re
import shutil

import pyarrow.parquet as pq
import pytest
import s3fs

from cli.testing import drift as run_drift
from drift_core.store import Workspace

pytestmark = pytest.mark.slow

SMALL = ["prompts.limit=6", "rollout.n=2", "rollout.max_new_tokens=6", "protocol.max_turns=2",
         "rollout.prompts_per_shard=2"]


def drift(capsys, *args) -> str:
    rc = run_drift(*args)
    out = capsys.readouterr()
    assert rc == 0, f"drift {' '.join(map(str, args))}: rc={rc}\n{out.out[-2000:]}\n{out.err[-2000:]}"
    return out.out


def table_rows(ws_dir, sql: str) -> list[tuple]:
    con = Workspace(ws_dir).connect(read_only=True)  # tables found from the workspace's tables.json
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def pipeline(capsys, ws, out, *extra) -> dict:
    sets = [a for item in SMALL for a in ("--set", item)] + list(extra)
    drift(capsys, "rollout", "-w", ws, "--quiet", *sets)
    summary = json.loads(drift(capsys, "weights", "-w", ws, "--json", *sets))
    text = drift(capsys, "export-dataset", out, "-w", ws, *sets)
    assert f"to {out}" in text
    return summary


def test_rollout_weights_export_on_s3_equal_local(tmp_path, tiny_world_dir, s3_bucket, capsys):
    local, remote = tmp_path / "local", tmp_path / "remote"
    for ws in (local, remote):
        shutil.copytree(tiny_world_dir, ws / "tiny_world")  # the workspace's tiny world (test size), built
    local_summary = pipeline(capsys, local, tmp_path / "train.parquet")
    s3_summary = pipeline(capsys, remote, f"{s3_bucket}/export/train.parquet", "--set",
                          f"tables_uri={s3_bucket}/drift/tables")

    assert not (remote / "tables").exists()
    fs = s3fs.S3FileSystem(skip_instance_cache=True)
    shards = fs.glob(f"{s3_bucket[5:]}/drift/tables/trajectories/*/shard-*.parquet")
    assert len(shards) == 3  # 6 prompts, 2 per shard
    for sql in ("select * from trajectories order by all", "select * from turns order by all",
                "select * from weights order by all"):
        ours, theirs = table_rows(remote, sql), table_rows(local, sql)
        assert ours == theirs and ours, sql
    for key in ("rows", "scheme", "beta", "gamma"):
        assert s3_summary[key] == local_summary[key]
    fs.get_file(f"{s3_bucket[5:]}/export/train.parquet", str(tmp_path / "from_s3.parquet"))
    exported = pq.read_table(tmp_path / "from_s3.parquet")
    assert exported.num_rows == 12 and exported.equals(pq.read_table(tmp_path / "train.parquet"))
    assert not list(tmp_path.glob("drift-export-*"))  # the upload's temp folder is gone

    # a second rollout on S3 reuses every shard (resume lists the bucket, not a local folder)
    text = drift(capsys, "rollout", "-w", remote, "--quiet", *[a for i in SMALL for a in ("--set", i)])
    assert fs.glob(f"{s3_bucket[5:]}/drift/tables/trajectories/*/shard-*.parquet") == shards
    # trajectories 12, generated tokens 0, shards written 0, shards reused 3
    assert re.search(r"│\s+12 │\s+0 │\s+0 │\s+3 │", text), text
