"""A full disk and a read-only workspace (docs/reliability.md), on real mounts.

The mounts are made in a private mount namespace (`unshare --user --map-root-user --mount`), so no root
is needed where the kernel lets users create namespaces, and nothing outlives the test; where it does
not (some CI kernels restrict user namespaces), the tests skip with that reason.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.faults.killing import REPO, namespace_problem

pytestmark = pytest.mark.slow
WORKER = REPO / "tests" / "faults" / "disk_worker.py"


def in_namespace(*args) -> dict:
    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    cmd = ["unshare", "--user", "--map-root-user", "--mount", sys.executable, str(WORKER), *map(str, args)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO,
                         env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
                              "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_full_disk_fails_cleanly_and_the_rerun_completes(tmp_path, random_model_dir):
    mount = tmp_path / "small"
    mount.mkdir()
    found = in_namespace("full", random_model_dir, mount)
    assert found["warm"] == "ok"
    for place in ("manifest", "shard", "warehouse"):  # where the disk ran out (see disk_worker.full)
        f = found[place]
        assert "No space left on device" in f["error"], (place, f["error"])  # the real error, not a later one
        # nothing half-written: every Parquet and JSON file reads, no temp file left, no orphan turns visible
        assert f["bad_files"] == [] and f["temp_files"] == [] and f["views"][1] == 0, (place, f)
        assert f["rerun"] == "ok" and f["after"]["bad_files"] == [] and f["after"]["views"][1] == 0, (place, f)
    assert found["warehouse"]["after"]["views"][0] == 4 * 4  # 4 runs x 2 prompts x n=2, each exactly once


def test_a_read_only_workspace_is_read_and_left_unchanged(workspace):
    import pyarrow as pa

    from tests.faults.test_atomic_files import traj_row, turn_row

    workspace.connect().close()
    workspace.write_shard("turns", "r", 0, pa.Table.from_pylist([turn_row("a")]))
    workspace.write_shard("trajectories", "r", 0, pa.Table.from_pylist([traj_row("a")]))
    found = in_namespace("readonly", "-", workspace.root)
    assert found["reads"] == 1  # `drift sql`'s read-only connection works on a read-only mount
    assert all("Read-only file system" in err for err in found["writes"].values()), found["writes"]
    assert found["unchanged"]
