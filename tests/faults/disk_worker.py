"""Runs inside a private mount namespace (`unshare --user --map-root-user --mount`, see test_disks.py):
mounts what the scenario needs, runs real stages on it, prints one JSON line of findings.

    full MODEL DIR       a small tmpfs at DIR, filled to the last byte, then rollouts on it
    readonly MODEL DIR   a finished workspace at DIR, bind-mounted read-only, then stages on it
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

from drift_core.store import Workspace

FILL_CHUNK = 4096
_engines: dict = {}


def run_rollout(ws: Workspace, model: str, run_id: str) -> str:
    """'ok', or the error the rollout raised (type: message). One engine serves every call."""
    from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig
    from drift_core.engines import make_engine
    from drift_core.prompts import load_prompts
    from drift_core.rollout import rollout

    prompts = load_prompts(PromptsConfig(source="arithmetic", count=2, levels=[1], seed=0))
    cfg = RolloutConfig(engine="hf", n=2, max_new_tokens=4, prompts_per_shard=1, run_id=run_id)
    engine = _engines.get(model) or _engines.setdefault(model, make_engine("hf", model))
    try:
        rollout(ws, prompts, ProtocolConfig(max_turns=1), cfg, model, engine=engine, progress=False)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the finding is which error, and what it left
        return f"{type(exc).__name__}: {exc}"


def try_write(fn) -> str:
    try:
        fn()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def damage(root: Path) -> dict:
    """What a failed write may have left: empty or unreadable files a reader would trip over."""
    import pyarrow.parquet as pq

    bad = []
    for f in root.rglob("*"):
        if f.name.endswith(".parquet"):
            try:
                pq.read_metadata(f)
            except Exception:  # noqa: BLE001
                bad.append(str(f.relative_to(root)))
        elif f.name.endswith(".json") and f.is_file():
            try:
                json.loads(f.read_text())
            except ValueError:
                bad.append(str(f.relative_to(root)))
    tmp = [str(f.relative_to(root)) for f in root.rglob(".*.tmp")]
    views = None
    if (root / "warehouse.duckdb").exists():
        try:
            con = Workspace(root).connect(read_only=True)
            views = con.execute("select (select count(*) from trajectories), (select count(*) from turns anti join "
                                "trajectories using (run_id, prompt_id, sample_idx))").fetchone()
            con.close()
        except Exception as exc:  # noqa: BLE001
            views = f"{type(exc).__name__}: {exc}"
    return {"bad_files": bad, "temp_files": tmp, "views": views}


def fill(path: Path) -> Path:
    filler = path / "filler"
    with open(filler, "wb", buffering=0) as f:  # unbuffered: close() has nothing left to flush
        try:
            while True:
                f.write(b"\0" * FILL_CHUNK)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def full(model: str, mount: Path) -> dict:
    """Three places a disk fills up: before the manifest, between a shard's two files, in the warehouse."""
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    ws = Workspace(mount / "ws")
    out = {"warm": run_rollout(ws, model, "warm")}  # a warehouse with prompts, then the disk fills up
    real_write = Workspace.write_shard

    def full_before_trajectories(self, table, run_id, shard, rows):
        if table == "trajectories" and shard == 1:
            fill(mount)  # the turns file of shard 1 is in place; its trajectories file finds no space
        return real_write(self, table, run_id, shard, rows)

    for run, slack in (("manifest", 0), ("shard", None), ("warehouse", 8)):
        if slack is None:
            Workspace.write_shard = full_before_trajectories
        else:
            filler = fill(mount)
            os.truncate(filler, max(filler.stat().st_size - slack * 1024, 0))  # leave `slack` KiB
        out[run] = {"error": run_rollout(ws, model, run), **damage(ws.root)}
        Workspace.write_shard = real_write
        (mount / "filler").unlink()
        out[run]["rerun"] = run_rollout(ws, model, run)
        out[run]["after"] = damage(ws.root)
    return out


def readonly(_model: str, ws_dir: Path) -> dict:
    """Reads work; each kind of write fails with the file system's error and changes nothing."""
    import pyarrow as pa

    subprocess.run(["mount", "--bind", str(ws_dir), str(ws_dir)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(ws_dir)], check=True)
    ws = Workspace(ws_dir)
    before = sorted((str(p), p.stat().st_mtime_ns) for p in ws_dir.rglob("*"))
    con = ws.connect(read_only=True)
    reads = con.execute("select count(*) from trajectories").fetchone()[0]
    con.close()
    from drift_core.faults import write_json

    writes = {"warehouse": try_write(lambda: ws.connect().close()),
              "shard": try_write(lambda: ws.write_shard("trajectories", "r", 5, pa.table({}))),
              "manifest": try_write(lambda: write_json(ws.run_dir("r") / "_run.json", {}))}
    after = sorted((str(p), p.stat().st_mtime_ns) for p in ws_dir.rglob("*"))
    return {"reads": reads, "writes": writes, "unchanged": before == after}


if __name__ == "__main__":
    mode, model, where = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    print(json.dumps({"full": full, "readonly": readonly}[mode](model, where)))
