"""The building blocks of the all-or-nothing guarantees (docs/reliability.md), each checked directly:
atomic manifests, fault points, the complete-shard view, unreadable manifests, checkpoints cut short,
and what `drift train` does with an existing --out."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pyarrow as pa
import pytest

from drift_core.errors import DriftError
from drift_core.faults import atomic_write, fault_point, write_json
from tests.faults.killing import REPO, leftovers


def test_atomic_write_killed_before_its_rename_keeps_the_old_file(tmp_path):
    target = tmp_path / "_run.json"
    write_json(target, {"v": 1})
    code = ("import sys; from drift_core.faults import write_json; "
            "write_json(sys.argv[1], {'v': 2, 'pad': 'x' * 100000})")
    out = subprocess.run([sys.executable, "-c", code, str(target)], cwd=REPO, capture_output=True, text=True,
                         env={"DRIFT_FAULT_POINT": "atomic_write.before_replace", "PATH": "", "PYTHONPATH": str(REPO)})
    assert out.returncode == -signal.SIGKILL, out.stderr
    assert json.loads(target.read_text()) == {"v": 1}  # old content, whole
    (tmp,) = leftovers(tmp_path)  # the new bytes only ever lived in a hidden temp file
    assert tmp.name.startswith("._run.json.") and json.loads(tmp.read_text())["v"] == 2


def test_atomic_write_that_fails_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "m.json"
    atomic_write(target, "old")
    with pytest.raises(TypeError):
        write_json(target, {"not json": object()})  # fails before anything is written
    (tmp_path / "a_dir").mkdir()
    with pytest.raises(OSError):
        atomic_write(tmp_path / "a_dir", "y")  # the rename fails (a directory is in the way)
    assert target.read_text() == "old" and not leftovers(tmp_path)


def test_fault_points_fire_only_when_named(monkeypatch):
    monkeypatch.delenv("DRIFT_FAULT_POINT", raising=False)
    fault_point("anything")  # no-op without the variable
    monkeypatch.setenv("DRIFT_FAULT_POINT", "other.point#2")
    fault_point("some.point")  # another point's name: no-op
    code = ("from drift_core.faults import fault_point\n"
            "for i in range(3):\n    print(i, flush=True); fault_point('p')")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env={"DRIFT_FAULT_POINT": "p#2", "PATH": "", "PYTHONPATH": str(REPO)})
    assert out.returncode == -signal.SIGKILL and out.stdout.split() == ["0", "1"]  # killed at the 2nd hit


def turn_row(prompt_id: str) -> dict:
    return {"run_id": "r", "prompt_id": prompt_id, "sample_idx": 0, "turn": 1, "response": "x", "answer": None,
            "answer_norm": "", "correct": False, "reward": 0.0, "format_ok": False, "format_penalty": 0.0,
            "completion_tokens": 1}


def traj_row(prompt_id: str) -> dict:
    return {"run_id": "r", "prompt_id": prompt_id, "sample_idx": 0, "policy": "m", "gold": "1",
            "messages": [{"role": "user", "content": "q"}], "num_turns": 1, "max_turns": 1, "t_star": None,
            "format_penalty": 0.0, "answer_norms": [""], "turn_rewards": [0.0], "reward_details": "{}", "extra": None}


def test_turns_of_a_shard_show_only_with_its_trajectories(workspace):
    workspace.write_shard("turns", "r", 0, pa.Table.from_pylist([turn_row("a")]))
    workspace.write_shard("trajectories", "r", 0, pa.Table.from_pylist([traj_row("a")]))
    workspace.write_shard("turns", "r", 1, pa.Table.from_pylist([turn_row("b")]))  # no trajectories yet
    assert workspace.shard_done("r", 0) and not workspace.shard_done("r", 1)
    con = workspace.connect()
    assert con.execute("select prompt_id from turns").fetchall() == [("a",)]
    con.close()
    ro = workspace.connect(read_only=True)
    assert ro.execute("select prompt_id from turns").fetchall() == [("a",)]
    ro.close()
    workspace.write_shard("trajectories", "r", 1, pa.Table.from_pylist([traj_row("b")]))
    ro = workspace.connect(read_only=True)  # the same stored view: shard 1 is complete now
    assert ro.execute("select prompt_id from turns order by 1").fetchall() == [("a",), ("b",)]
    ro.close()


def test_a_read_only_reader_of_an_older_warehouse_gets_the_complete_shard_view(workspace):
    """A warehouse whose stored turns view predates the filter (written by an older drift, read by
    `drift sql` without a writable connection) still hides incomplete shards."""
    from drift_core.sqlfiles import quote_ident, quote_literal, run_rendered

    workspace.write_shard("turns", "r", 0, pa.Table.from_pylist([turn_row("a")]))
    con = workspace.connect()
    run_rendered(con, "io/shard_view", table=quote_ident("turns"), glob=quote_literal(workspace.shard_glob("turns")),
                 scope="")  # the old, unfiltered view
    assert con.execute("select count(*) from turns").fetchone() == (1,)
    con.close()
    ro = workspace.connect(read_only=True)
    assert ro.execute("select count(*) from turns").fetchone() == (0,)
    ro.close()


# -- rollout manifests ----------------------------------------------------------------------------------
def rollout_small(ws, model, run_id="m"):
    from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig
    from drift_core.prompts import load_prompts
    from drift_core.rollout import rollout

    prompts = load_prompts(PromptsConfig(source="arithmetic", count=2, levels=[1], seed=0))
    cfg = RolloutConfig(engine="hf", n=2, max_new_tokens=4, prompts_per_shard=2, run_id=run_id)
    return rollout(ws, prompts, ProtocolConfig(max_turns=1), cfg, str(model), progress=False)


@pytest.mark.slow
def test_an_empty_manifest_from_an_old_disk_full_is_handled(workspace, random_model_dir):
    """Issue 18: after a disk-full an older drift left `_run.json` with 0 bytes, and every later rollout
    of the run failed with JSONDecodeError."""
    run_dir = workspace.run_dir("m")
    run_dir.mkdir(parents=True)
    (run_dir / "_run.json").write_text("")  # no shard depends on it: taken as absent and rewritten
    (run_dir / "._run.json.0123.tmp").write_text('{"cut')  # a killed writer's temp file
    res = rollout_small(workspace, random_model_dir)
    assert res.shards_written == 1 and json.loads((run_dir / "_run.json").read_text())["run_id"] == "m"
    assert not leftovers(workspace.root)
    (run_dir / "_run.json").write_text("")  # now the run has a finished shard: a clear error, not a traceback
    with pytest.raises(DriftError, match=r"_run.json is unreadable .* has finished shards"):
        rollout_small(workspace, random_model_dir)


# -- training output ------------------------------------------------------------------------------------
def test_a_checkpoint_cut_short_is_skipped(tmp_path):
    from drift_core.train.run import latest_checkpoint, staging_dir

    ckpts = staging_dir(tmp_path / "out") / "checkpoints"
    for step, state in ((2, '{"global_step": 2}'), (4, '{"global_st'), (6, None)):
        (ckpts / f"checkpoint-{step}").mkdir(parents=True)
        if state is not None:
            (ckpts / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    assert latest_checkpoint(tmp_path / "out") == str(ckpts / "checkpoint-2")


def test_train_refuses_an_out_dir_it_did_not_write_and_contradictory_flags(tmp_path, capsys):
    from cli.testing import drift
    from drift_core.config.train import TrainConfig
    from drift_core.train.run import train

    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    with pytest.raises(DriftError, match="not a model directory drift trained"):
        train(pa.table({"messages": [], "weight": []}), "unused", TrainConfig(), mine)
    assert (mine / "thesis.tex").exists()
    assert drift("train", "-w", tmp_path / "ws", "--data", tmp_path / "x.parquet", "--resume", "--overwrite") == 1
    assert "contradict" in capsys.readouterr().err


def test_overwrite_discards_checkpoints_resume_false_refuses(tmp_path):
    from drift_core.train.run import _checkpoint_policy, staging_dir

    ckpt = staging_dir(tmp_path / "out") / "checkpoints" / "checkpoint-3"
    ckpt.mkdir(parents=True)
    (ckpt / "trainer_state.json").write_text("{}")
    with pytest.raises(DriftError, match="--resume .* --overwrite"):
        _checkpoint_policy(tmp_path / "out", False, False)
    assert _checkpoint_policy(tmp_path / "out", False, True) is None
    assert _checkpoint_policy(tmp_path / "out", "auto", False) == str(ckpt)
    assert _checkpoint_policy(tmp_path / "out", True, False) == str(ckpt)
