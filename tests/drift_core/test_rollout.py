"""Rollout on a real (random) transformers model: tables, keys, resume after a real kill."""

import os
import signal
import subprocess
import sys
import time

import pytest

from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig
from drift_core.errors import DriftError
from drift_core.prompts import load_prompts
from drift_core.rollout import rollout


def small_cfg(**kw):
    base = dict(engine="hf", n=3, max_new_tokens=6, prompts_per_shard=2, seed=1)
    return RolloutConfig(**{**base, **kw})


def prompts(count=5):
    return load_prompts(PromptsConfig(source="arithmetic", count=count, levels=[1, 3], seed=0))


def test_rollout_writes_consistent_tables(workspace, random_model_dir):
    protocol = ProtocolConfig(max_turns=2)
    res = rollout(workspace, prompts(), protocol, small_cfg(), str(random_model_dir), progress=False)
    assert (res.trajectories, res.shards_written, res.shards_skipped) == (15, 3, 0)
    con = workspace.connect()
    t = con.execute("select count(*), count(distinct (prompt_id, sample_idx)) from trajectories").fetchone()
    assert t == (15, 15)
    # every trajectory's turns are in `turns`, and the per-turn penalties add up to the trajectory's
    mismatch = con.execute("""
        select count(*) from trajectories t
        join (select prompt_id, sample_idx, count(*) n, sum(format_penalty) fp, sum(completion_tokens) tok
              from turns group by all) u using (prompt_id, sample_idx)
        where u.n <> t.num_turns or abs(u.fp - t.format_penalty) > 1e-12
    """).fetchone()[0]
    assert mismatch == 0
    assert con.execute("select sum(completion_tokens) from turns").fetchone()[0] == res.tokens
    # a trajectory that was never correct took max_turns turns and has a message per turn + feedback
    row = con.execute(
        "select num_turns, len(messages), len(turn_rewards) from trajectories where t_star is null limit 1"
    )
    assert row.fetchone() == (2, 2 + 3, 2)
    assert con.execute("select count(*) from prompts").fetchone()[0] == 5
    con.close()


def test_rerun_reuses_finished_shards(workspace, random_model_dir):
    args = (workspace, prompts(), ProtocolConfig(max_turns=1), small_cfg(), str(random_model_dir))
    first = rollout(*args, progress=False)
    second = rollout(*args, progress=False)
    assert second.run_id == first.run_id and (second.shards_written, second.shards_skipped) == (0, 3)


def test_same_run_id_with_other_settings_is_refused(workspace, random_model_dir):
    rollout(
        workspace,
        prompts(),
        ProtocolConfig(max_turns=1),
        small_cfg(run_id="mine"),
        str(random_model_dir),
        progress=False,
    )
    with pytest.raises(DriftError, match="run_id 'mine' exists with different rollout"):
        rollout(
            workspace,
            prompts(),
            ProtocolConfig(max_turns=1),
            small_cfg(run_id="mine", n=2),
            str(random_model_dir),
            progress=False,
        )


def test_model_without_chat_template_is_refused(workspace, random_model_dir, tmp_path):
    import shutil

    broken = tmp_path / "no_template"
    shutil.copytree(random_model_dir, broken)
    (broken / "chat_template.jinja").unlink()
    with pytest.raises(DriftError, match="has no chat template"):
        rollout(workspace, prompts(), ProtocolConfig(), small_cfg(), str(broken), progress=False)


@pytest.mark.slow
def test_killed_rollout_resumes_without_loss_or_duplicates(tmp_path, random_model_dir):
    ws = tmp_path / "ws"
    cmd = [
        sys.executable,
        "-m",
        "cli.main",
        "rollout",
        "-w",
        str(ws),
        "--model",
        str(random_model_dir),
        "--engine",
        "hf",
        "--n",
        "4",
        "--max-turns",
        "2",
        "--quiet",
        "--run-id",
        "kill-me",
        "--set",
        "prompts.source=arithmetic",
        "--set",
        "prompts.count=20",
        "--set",
        "prompts.levels=[3,4]",
        "--set",
        "rollout.prompts_per_shard=2",
        "--set",
        "rollout.max_new_tokens=16",
    ]
    shard_dir = ws / "tables" / "trajectories" / "kill-me"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(shard_dir.glob("shard-*.parquet")):
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # a real interruption, mid-run
    proc.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in shard_dir.glob("shard-*.parquet")}
    assert 1 <= len(done_before) < 10, "the kill must land mid-run for this test to mean anything"

    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    after = {p.name: p.stat().st_mtime_ns for p in shard_dir.glob("shard-*.parquet")}
    assert len(after) == 10
    assert all(after[name] == mtime for name, mtime in done_before.items())  # finished shards kept as they were
    assert not list(ws.glob("tables/**/.*.tmp"))

    import duckdb

    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    total, distinct = con.execute(
        "select count(*), count(distinct (run_id, prompt_id, sample_idx)) from trajectories"
    ).fetchone()
    assert total == distinct == 80
    dup_turns = con.execute(
        "select count(*) from (select run_id, prompt_id, sample_idx, turn from turns group by all having count(*) > 1)"
    ).fetchone()[0]
    assert dup_turns == 0
    con.close()


def test_a_later_round_is_its_own_run_and_the_runs_lookup_reads_its_round(workspace, random_model_dir):
    """Round k >= 2 of iterative DRIFT: `<run_id>-round<k>` beside round 1's plain id; runs.sql reads the round
    back (1 for every other run, an old warehouse's too)."""
    from drift_core.rollout import round_run_id
    from drift_core.sqlfiles import run_sql

    args = (workspace, prompts(2), ProtocolConfig(max_turns=1), small_cfg(n=1), str(random_model_dir))
    first = rollout(*args, progress=False)
    second = rollout(*args, progress=False, round=2)
    assert second.run_id == f"{first.run_id}-round2" == round_run_id(first.run_id, 2)
    assert second.shards_written == 1  # its own shards, not round 1's
    con = workspace.connect(read_only=True)
    rows = run_sql(con, "lookups/runs").fetchall()
    con.close()
    assert rows == [(first.run_id, 2, 1), (second.run_id, 2, 2)]
    with pytest.raises(DriftError, match="rounds count from 1"):
        round_run_id("r-x", 0)
