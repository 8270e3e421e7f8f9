"""Bad input and a bad machine give an error, not a traceback: the message names the file or path and
what to do, the exit code is 1, and nothing in the workspace changed (docs/reliability.md).

The read-only and full-disk cases use real conditions: a small tmpfs, or one remounted read-only
(chmod 555 stops nothing for root), mounted in a private user + mount namespace by
tests/faults/cli_errors_worker.py, so no root is needed and no mount outlives the test; where the
kernel allows no user namespaces, they skip with that reason."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cli.main import main
from drift_core.testing.reference_records import write_jsonl
from tests.faults.killing import namespace_problem

ARITHMETIC = ["--set", "prompts.source=arithmetic", "--set", "prompts.count=4"]
REPO = Path(__file__).resolve().parents[2]
WORKER = REPO / "tests" / "faults" / "cli_errors_worker.py"


def drift(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run `drift args...` in this process as the console script does; (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["drift", *map(str, args)])
    with pytest.raises(SystemExit) as exit_:
        main()
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return exit_.value.code, " ".join(err.split())  # unwrapped


def snapshot(root) -> dict[str, bytes]:
    """Every file under root but DuckDB's spill folder, by content."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "tmp" not in p.relative_to(root).parts}


def in_namespace(mode: str, *paths) -> dict:
    """tests/faults/cli_errors_worker.py in a private mount namespace (its mounts die with it)."""
    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    cmd = ["unshare", "--user", "--map-root-user", "--mount", sys.executable, str(WORKER), mode, *map(str, paths)]
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1",
           "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "HOME": str(paths[0].parent)}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture()
def populated(tmp_path, monkeypatch, capsys):
    """A workspace with prompts and one imported run."""
    ws = tmp_path / "ws"
    code, err = drift(monkeypatch, capsys, "import-jsonl", write_jsonl(tmp_path / "a.jsonl", 8, group=4), "-w", ws)
    assert code in (0, None), err
    return ws


@pytest.mark.parametrize("content", [b"", "truncated"], ids=["0-byte", "truncated"])
def test_an_unreadable_parquet_prompt_file_is_named(populated, tmp_path, monkeypatch, capsys, content):
    f = tmp_path / "prompts.parquet"
    if content == "truncated":
        pq.write_table(pa.table({"question": ["What is 1 + 1?"] * 20, "gold": ["2"] * 20}), f)
        content = f.read_bytes()[: f.stat().st_size // 2]
    f.write_bytes(content)
    before = snapshot(populated)
    code, err = drift(monkeypatch, capsys, "prompts", "--source", "file", "--path", f, "-w", populated)
    assert code == 1
    assert f"{f}: not a readable Parquet file ({len(content)} bytes" in err and "copy or export it again" in err
    assert snapshot(populated) == before


def test_a_missing_model_directory_is_named(tmp_path, monkeypatch, capsys):
    ws = tmp_path / "ws"
    nope = tmp_path / "no" / "model"
    code, err = drift(monkeypatch, capsys, "rollout", "--model", nope, *ARITHMETIC, "--n", "1", "--quiet", "-w", ws)
    assert code == 1
    assert f"model directory {nope} does not exist (and is not a hub id" in err and "--model" in err
    assert not ws.exists()  # failed before anything was written


def test_a_read_only_workspace_is_named(tmp_path):
    ro = tmp_path / "ro"
    found = in_namespace("readonly", ro, write_jsonl(tmp_path / "a.jsonl", 8, group=4),
                         write_jsonl(tmp_path / "b.jsonl", 8, group=4, seed=1))
    assert found["setup"]["code"] == 0, found["setup"]
    new, existing, imported = found["runs"]
    assert new["code"] == 1 and f"read-only file system: {ro / 'new'}: use a writable --workspace" in new["stderr"]
    for run in (existing, imported):
        assert run["code"] == 1 and "read-only file system" in run["stderr"] and found["ws"] in run["stderr"], run
    assert all("Traceback" not in run["stderr"] for run in found["runs"])
    assert found["unchanged"]


def test_a_full_disk_is_named_and_the_import_leaves_nothing(tmp_path):
    disk = tmp_path / "disk"
    found = in_namespace("full", disk, write_jsonl(tmp_path / "a.jsonl", 4, group=4),
                         write_jsonl(tmp_path / "big.jsonl", 2000, group=4))
    assert found["setup"]["code"] == 0, found["setup"]
    (run,) = found["runs"]
    assert run["code"] == 1 and "Traceback" not in run["stderr"], run
    assert "no space left on the device" in run["stderr"] and found["ws"] in run["stderr"], run
    assert "free some space" in run["stderr"]
    assert found["unchanged"] and found["temp_files"] == []  # the failed import left nothing
