"""Rollout and evaluation shards on local Ray and Dask clusters: the local runner's rows, and a killed run that resumes.

One local run in this process (against the session's Prefect server); then `tests/tasks/shard_rollout.py`
in subprocesses with runner.kind ray (a local cluster of 2 CPU workers started by the run, its daemons
under a Ray temp dir of this module's own): the first is SIGKILLed with its process group once some
shards are on disk, the second finishes the run. No process of that Ray may be left running; the
finaliser kills any that are (by pid) and fails the module's last test. One more subprocess runs the
same rollout with runner.kind dask (a LocalCluster of 2 worker processes): the local runner's rows, and
no Dask worker left once it exits.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "tasks" / "shard_rollout.py"
SHARDS = 12  # shard_rollout.PROMPTS, one prompt per shard


def rows(ws: Path, run_id: str) -> dict[str, list[tuple]]:
    from drift_core.store import Workspace

    con = Workspace(ws).connect(read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} WHERE run_id = ? ORDER BY ALL", [run_id]).fetchall()
                for t in ("trajectories", "turns")}
    finally:
        con.close()


def ray_processes(tmp: str) -> dict[int, str]:
    """Processes of the Ray whose temp dir is `tmp` (daemons and workers inherit RAY_TMPDIR): pid -> command."""
    return marked_processes(f"RAY_TMPDIR={tmp}")


def marked_processes(var: str) -> dict[int, str]:
    """Processes whose environment holds `var` ('NAME=value', inherited by their children): pid -> command."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if var.encode() not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone, or not ours to read
            continue
    return found


def done_shards(ws: Path) -> int:
    return len(list((ws / "tables" / "trajectories").rglob("shard-*.parquet")))


@pytest.fixture(scope="module")
def ray_tmp():
    """A short Ray temp dir (its sockets' paths must stay under 107 bytes) that names this module's Ray."""
    tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    yield tmp
    left = ray_processes(tmp)
    for pid in left:  # only what this module's runs started, by pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("shards")


@pytest.fixture(scope="module")
def local(tiny_world_dir, prefect_server, root):
    """The local runner, in this process (a subprocess would pay ~15 s of imports for nothing)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from tests.tasks.shard_rollout import run

    with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
        return run(str(root / "local"), str(tiny_world_dir), str(prompts_of(tiny_world_dir)), "local")


def prompts_of(world: Path) -> Path:
    return world / "prompts" / "train.jsonl"


@pytest.fixture(scope="module")
def runs(tiny_world_dir, prefect_server, root, local, ray_tmp):
    pytest.importorskip("ray")
    pytest.importorskip("prefect_ray")
    prompts = prompts_of(tiny_world_dir)
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_TMPDIR": ray_tmp, "RAY_DEDUP_LOGS": "0"}
    env.pop("PREFECT_API_URL", None)

    def start(name: str, extra: dict) -> subprocess.Popen:
        args = [sys.executable, str(SCRIPT), str(root / "ray"), str(tiny_world_dir), str(prompts), "ray",
                str(root / f"{name}.json")]
        return subprocess.Popen(args, cwd=REPO, env=env | extra, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)  # its own group: the kill takes Ray's too

    # A Ray run (ephemeral Prefect API in its workspace) killed once some, not all, of its shards are on disk.
    killed = start("killed", {})
    deadline = time.time() + 300
    while done_shards(root / "ray") == 0 and killed.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    at_kill = done_shards(root / "ray")
    time.sleep(3)  # what Ray left would still be up: its workers watch their raylet, not the driver
    left_after_kill = ray_processes(ray_tmp)

    # The rerun, reporting to a Prefect server (the address its workers get too).
    again = start("again", {"PREFECT_API_URL": prefect_server.url + "/api"})
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-4000:]
    time.sleep(1)
    return {"root": root, "at_kill": at_kill, "left_after_kill": left_after_kill,
            "left_after_rerun": ray_processes(ray_tmp), "local": local,
            "again": json.loads((root / "again.json").read_text())}


def test_ray_rollout_has_the_local_runners_rows(runs):
    run_id = runs["local"]["run_id"]
    local, ray = rows(runs["root"] / "local", run_id), rows(runs["root"] / "ray", run_id)
    assert len(local["trajectories"]) == SHARDS * 2 and len(local["turns"]) > SHARDS * 2
    # Every key exactly once, with the same sampled text (temperature 1): a shard's seed is its index's.
    assert ray == local
    assert runs["again"]["run_id"] == runs["local"]["run_id"]


@pytest.fixture(scope="module")
def dask_run(tiny_world_dir, prefect_server, root, local):
    """The same rollout on runner.kind dask (a LocalCluster of 2 worker processes, 1 thread each, started and
    closed by each stage), in a subprocess whose processes, workers included, carry a marker variable."""
    pytest.importorskip("prefect_dask")
    mark = f"DRIFT_TEST_DASK={root}"
    env = {**os.environ, "PYTHONPATH": str(REPO), "DRIFT_TEST_DASK": str(root),
           "PREFECT_API_URL": prefect_server.url + "/api"}
    args = [sys.executable, str(SCRIPT), str(root / "dask"), str(tiny_world_dir), str(prompts_of(tiny_world_dir)),
            "dask", str(root / "dask.json")]
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    time.sleep(1)
    left = marked_processes(mark)
    for pid in left:  # only what this run started, by pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert proc.returncode == 0, err[-4000:]
    return {"out": json.loads((root / "dask.json").read_text()), "left": left}


def test_dask_rollout_has_the_local_runners_rows(dask_run, local, root):
    run_id = local["run_id"]
    assert dask_run["out"]["run_id"] == run_id
    dask = rows(root / "dask", run_id)
    assert len(dask["trajectories"]) == SHARDS * 2 and dask == rows(root / "local", run_id)
    assert dask_run["out"]["eval"]["per_problem"] == local["eval"]["per_problem"]
    r2 = dask_run["out"]["round2"]
    assert rows(root / "dask", r2["run_id"]) == rows(root / "local", local["round2"]["run_id"])
    # Shards ran in the cluster's worker processes (at most 2), each on the one engine its first shard built.
    reports = dask_run["out"]["shards"]
    assert {r["engine_loads"] for r in reports} == {1} and len({r["pid"] for r in reports}) <= 2
    assert dask_run["left"] == {}, f"Dask processes left after the run: {dask_run['left']}"


def test_ray_evaluation_has_the_local_runners_result(runs):
    ray, local = runs["again"]["eval"], runs["local"]["eval"]
    assert ray["per_problem"] == local["per_problem"]
    drop = {"seconds"}  # this attempt's wall time; every other figure (tokens too) is the episodes'
    assert {k: v for k, v in ray["metrics"].items() if k not in drop} == {
        k: v for k, v in local["metrics"].items() if k not in drop}
    assert len(runs["local"]["eval"]["per_problem"]) == 6


def test_a_later_round_on_ray_is_the_local_runners_round(runs):
    """Round 2 of iterative DRIFT: the round's run id (round_run_id) and rows whichever runner sampled them;
    its peak RSS is recorded, with Ray the busiest worker's too (per process: workers are not summed)."""
    local, ray = runs["local"]["round2"], runs["again"]["round2"]
    assert local["run_id"] == ray["run_id"] and ray["run_id"].endswith("-round2")
    assert rows(runs["root"] / "ray", ray["run_id"]) == rows(runs["root"] / "local", local["run_id"])
    assert len(rows(runs["root"] / "ray", ray["run_id"])["trajectories"]) == 6 * 2
    for r in (local, ray):
        assert r["metrics"]["round"] == 2 and r["metrics"]["seconds"] > 0
        assert r["metrics"]["peak_rss_bytes"] >= r["metrics"]["driver_peak_rss_bytes"] > 0
    assert "worker_peak_rss_bytes" not in local["metrics"]  # the local runner's shards ran in the driver
    m = ray["metrics"]
    assert m["worker_peak_rss_bytes"] > 0 and m["peak_rss_bytes"] == max(m["worker_peak_rss_bytes"],
                                                                           m["driver_peak_rss_bytes"])


def test_each_worker_loads_one_engine_for_all_its_shards(runs):
    reports = runs["again"]["shards"]
    assert {r["engine_loads"] for r in reports} == {1}
    per_pid: dict[int, int] = {}
    for r in reports:
        per_pid[r["pid"]] = per_pid.get(r["pid"], 0) + 1
    assert len(per_pid) <= 2 and max(per_pid.values()) >= 2  # 2 workers; a worker ran several shards
    assert os.getpid() not in per_pid
    local = runs["local"]["shards"]
    # The local runner: every shard in this process, on the one engine its first shard built.
    assert {r["pid"] for r in local} == {os.getpid()} and len({r["engine_loads"] for r in local}) == 1


def test_a_killed_ray_run_resumes_where_it_stopped(runs):
    assert 0 < runs["at_kill"] < SHARDS, f"the kill landed after {runs['at_kill']} of {SHARDS} shards"
    again = runs["again"]
    assert again["skipped"] >= runs["at_kill"] and again["skipped"] + again["written"] == SHARDS
    assert len({r["shard"] for r in again["shards"]}) == again["written"]


def test_no_ray_process_is_left_behind(runs):
    assert runs["left_after_kill"] == {}, f"after SIGKILL of the driver's group: {runs['left_after_kill']}"
    assert runs["left_after_rerun"] == {}, f"after the rerun: {runs['left_after_rerun']}"
