"""Stored paths and views follow a moved workspace (docs/design.md §5, relocatable workspaces)."""

from __future__ import annotations

import hashlib
import shutil

from drift_core.store import Workspace


def digest_tree(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_paths_inside_are_stored_relative_and_resolved_against_the_current_place(tmp_path):
    ws = Workspace(tmp_path / "ws")
    (ws.root / "models" / "m").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert ws.portable(ws.root / "models" / "m") == "models/m"
    assert ws.portable("models/m") == "models/m"  # read back from a table: already relative
    assert ws.portable(outside) == str(outside)
    assert ws.portable("Qwen/Qwen2.5-3B") == "Qwen/Qwen2.5-3B"  # a hub id, untouched
    moved = Workspace(tmp_path / "moved")
    shutil.copytree(ws.root, moved.root)
    assert moved.resolve("models/m") == str(moved.root / "models" / "m")
    assert moved.resolve(str(outside)) == str(outside)
    assert moved.resolve("Qwen/Qwen2.5-3B") == "Qwen/Qwen2.5-3B"


def test_a_read_only_open_of_a_moved_workspace_reads_its_own_shards_and_writes_nothing(tmp_path):
    from drift_core.jsonl_io import import_jsonl
    from drift_core.testing.reference_records import write_jsonl

    ws = Workspace(tmp_path / "a")
    import_jsonl(ws, write_jsonl(tmp_path / "ref.jsonl", 8, group=4, seed=1), run_id="r", returns_gamma=None)
    ws.connect().close()  # stores the views, with globs under tmp_path/a
    moved = Workspace(tmp_path / "b")
    shutil.copytree(ws.root, moved.root)
    shutil.rmtree(ws.root)
    before = digest_tree(moved.root)
    con = moved.connect(read_only=True)
    try:
        assert con.execute("select count(*) from trajectories").fetchone() == (8,)
        assert con.execute("select count(distinct sample_idx || prompt_id) from turns").fetchone() == (8,)
    finally:
        con.close()
    assert digest_tree(moved.root) == before
    # A writable open re-points the stored views, so the duckdb CLI reads the copy too.
    moved.connect().close()
    import duckdb

    plain = duckdb.connect(str(moved.warehouse), read_only=True)
    try:
        assert plain.execute("select count(*) from trajectories").fetchone() == (8,)
    finally:
        plain.close()
