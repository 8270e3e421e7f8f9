"""`drift train` through the real entry point and under `accelerate launch` (one CPU process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from transformers import AutoModelForCausalLM

from cli.testing import drift

REPO = Path(__file__).resolve().parents[2]


FAST = ["--set", "train.per_device_train_batch_size=4", "--set", "train.gradient_accumulation_steps=1",
        "--set", "train.learning_rate=1e-3"]


def test_train_from_a_data_file(tmp_path, random_model_dir, data_file):
    out = tmp_path / "model"
    rc = drift("train", "-w", tmp_path / "ws", "--data", data_file, "--model", random_model_dir, "--out", out,
               "--max-steps", 2, "--quiet", *FAST)
    assert rc == 0
    AutoModelForCausalLM.from_pretrained(out)


def test_missing_weights_for_the_scheme(tmp_path, random_model_dir, capsys):
    """A workspace with a rollout but no weights for the scheme: clear error, exit 1, nothing written."""
    ws = tmp_path / "ws"
    assert drift("rollout", "-w", ws, "--model", random_model_dir, "--n", 2, "--max-turns", 1, "--quiet",
                 "--set", "prompts.source=arithmetic", "--set", "prompts.count=2",
                 "--set", "rollout.max_new_tokens=3", "--set", "rollout.engine=hf") == 0
    capsys.readouterr()
    rc = drift("train", "-w", ws, "--scheme", "rft", "--out", tmp_path / "m", "--quiet")
    err = capsys.readouterr().err
    assert rc == 1 and "weights" in err and "rft" in err
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("policy", [None, "gold"])  # imported:traj.jsonl (import-jsonl's default label), gold
def test_a_run_sampled_by_a_label_needs_model(tmp_path, random_model_dir, capsys, policy):
    """An imported or gold-answer run records a label as its policy, not a model: without --model, train
    says which run and what to pass, before reading any weights; with --model it trains."""
    from drift_core.testing.reference_records import write_jsonl

    ws = tmp_path / "ws"
    src = write_jsonl(tmp_path / "traj.jsonl", 16, group=8, seed=4)
    assert drift("import-jsonl", src, "-w", ws, "--run-id", "imp", *(["--policy", policy] if policy else [])) == 0
    capsys.readouterr()
    rc = drift("train", "-w", ws, "--scheme", "rft", "--out", tmp_path / "m", "--quiet")
    err = capsys.readouterr().err
    label = policy or "imported:traj.jsonl"
    assert rc == 1 and f"run imp was sampled by '{label}' (not a model directory)" in err, err
    assert "pass --model DIR" in err
    assert not (tmp_path / "m").exists()
    assert drift("weights", "-w", ws, "--scheme", "rft") == 0
    assert drift("train", "-w", ws, "--scheme", "rft", "--model", random_model_dir, "--out", tmp_path / "m",
                 "--max-steps", 1, "--quiet", *FAST) == 0


def test_bad_data_file_and_empty_set(tmp_path, random_model_dir, capsys):
    assert drift("train", "-w", tmp_path / "ws", "--data", tmp_path / "nope.parquet", "--model",
                 random_model_dir, "--out", tmp_path / "m") == 1
    assert "not found" in capsys.readouterr().err
    empty = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"messages": pa.array([], pa.list_(pa.struct([("role", pa.string()),
                                                                            ("content", pa.string())]))),
                             "weight": pa.array([], pa.float64())}), empty)
    assert drift("train", "-w", tmp_path / "ws", "--data", empty, "--model", random_model_dir,
                 "--out", tmp_path / "m") == 1
    assert "empty training set" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["cpu", "fsdp", "deepspeed_zero3"])
def test_shipped_accelerate_configs_parse(name):
    from accelerate.commands.config.config_args import load_config_from_file

    cfg = load_config_from_file(str(REPO / "configs" / "accelerate" / f"{name}.yaml"))
    assert cfg.num_processes >= 1


@pytest.mark.slow
def test_accelerate_launch_single_process_cpu(tmp_path, random_model_dir, data_file):
    out = tmp_path / "model"
    launcher = Path(sys.executable).with_name("accelerate")
    cmd = [str(launcher), "launch", "--config_file", str(REPO / "configs/accelerate/cpu.yaml"), "-m", "cli.main",
           "train", "-w", str(tmp_path / "ws"), "--data", str(data_file), "--model", str(random_model_dir),
           "--out", str(out), "--max-steps", "2", "--quiet", *FAST]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    AutoModelForCausalLM.from_pretrained(out)
    assert (out / "drift_train.json").exists()
