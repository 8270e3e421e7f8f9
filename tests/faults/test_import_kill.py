"""The import killed mid-way (docs/reliability.md): readers never see part of it; its rerun imports exactly once.

An import writes every shard into <workspace>/staging/import-<run>/ and publishes with two renames
(turns, then trajectories with the manifest). Killed while writing or between the renames, it leaves
nothing a view shows; the rerun starts afresh.
"""

from __future__ import annotations

import pytest

from drift_core.store import Workspace
from drift_core.testing.reference_records import write_jsonl
from tests.faults.killing import killed_at, leftovers

pytestmark = pytest.mark.slow


def visible(ws: Workspace) -> tuple[int, int]:
    con = ws.connect(read_only=True)
    try:
        traj = con.execute("select count(*) from trajectories where run_id = 'imp'").fetchone()[0]
        turns = con.execute("select count(*) from turns where run_id = 'imp'").fetchone()[0]
        return traj, turns
    finally:
        con.close()


@pytest.mark.parametrize("point", ["import.before_publish", "import.after_turns"])
def test_a_killed_import_shows_nothing_and_its_rerun_imports_exactly_once(tmp_path, point):
    from drift_core.jsonl_io import import_jsonl

    ws = Workspace(tmp_path / "ws")
    ws.connect().close()  # a warehouse with its views, as any earlier stage leaves it
    src = write_jsonl(tmp_path / "ref.jsonl", 40, group=4, seed=1)
    killed_at(point, "import-jsonl", src, "-w", ws.root, "--run-id", "imp", timeout=120)
    if point == "import.after_turns":  # the turns are in place, the trajectories (and manifest) are not
        assert (ws.table_dir("turns") / "imp").is_dir() and not ws.run_dir("imp").exists()
    assert visible(ws) == (0, 0)

    res = import_jsonl(ws, src, run_id="imp", shard_records=10, returns_gamma=None)  # the rerun
    assert (res.records, res.skipped) == (40, False)
    traj, turns = visible(ws)
    assert traj == 40 and turns >= 40
    assert not leftovers(ws.root) and not any((ws.root / "staging").iterdir())
