"""drift_core/train/grpo.py and `drift grpo`: two optimizer steps of real TRL GRPOTrainer on the CPU, the
test-size tiny world's reference as the policy, the project's episodes and return."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from cli.testing import drift
from drift_core.config import GrpoConfig, ProtocolConfig
from drift_core.multiturn import Problem
from drift_core.train.grpo import SUMMARY, train_grpo


def changed(a, b) -> bool:
    x, y = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    return any(not torch.equal(x[k], y[k]) for k in x)


def train_problems(world, k: int) -> list[Problem]:
    rows = [json.loads(line) for line in (world / "prompts" / "train.jsonl").read_text().splitlines()[:k]]
    return [Problem(r["prompt_id"], r["question"], r["gold"]) for r in rows]


def test_two_steps_with_a_kl_reference(tiny_world_dir, tmp_path):
    """beta > 0: TRL loads the frozen reference too (under drift's loading rules)."""
    cfg = GrpoConfig(max_steps=2, num_generations=4, per_device_train_batch_size=8, max_new_tokens=8,
                     learning_rate=1e-3, beta=0.04)
    out = tmp_path / "grpo"
    res = train_grpo(train_problems(tiny_world_dir, 8), str(tiny_world_dir), ProtocolConfig(max_turns=3), cfg, out,
                     progress=False)
    assert res.steps == 2 and res.trajectories == 2 * 8  # one generation batch of whole groups per step
    assert res.generated_tokens > 0 and 0 < res.trained_tokens <= res.generated_tokens + res.canonicalised_turns * 8
    assert res.context_mismatches == 0 and res.turns >= res.trajectories
    steps = [h for h in res.history if "reward" in h]
    assert [h["step"] for h in steps] == [1, 2] and all("kl" in h for h in steps)
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["steps"] == 2 and summary["config"]["beta"] == 0.04
    assert changed(tiny_world_dir, out)  # the policy moved
    assert not any(p.name.startswith(f".{out.name}") for p in tmp_path.iterdir())  # staging published


def test_drift_grpo_command_writes_a_model_dir(tiny_world_dir, tmp_path, capsys):
    ws = tmp_path / "ws"
    shutil.copytree(tiny_world_dir, ws / "tiny_world")  # the workspace's world: built, so never rebuilt
    out = tmp_path / "model"
    rc = drift("grpo", "-w", ws, "--out", out, "--max-steps", 2, "--limit", 4, "--num-generations", 2,
               "--learning-rate", 1e-3, "--quiet", "--set", "grpo.per_device_train_batch_size=4",
               "--set", "grpo.max_new_tokens=8", "--set", "protocol.max_turns=3")
    assert rc == 0
    printed = capsys.readouterr().out
    assert "grpo" in printed and "'loss'" not in printed  # the summary table; --quiet: no per-step logs
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["steps"] == 2 and summary["trajectories"] == 2 * 4 and summary["config"]["beta"] == 0.0
    assert changed(ws / "tiny_world", out)
    # a directory that is no drift grpo output is never replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    assert drift("grpo", "-w", ws, "--out", tmp_path / "mine", "--max-steps", 1, "--quiet") == 1


def test_a_step_must_hold_whole_groups():
    with pytest.raises(ValueError, match="whole groups"):
        GrpoConfig(num_generations=3, per_device_train_batch_size=4)
