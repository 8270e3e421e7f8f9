"""train(): the Trainer subclass end to end on the tiny random model (CPU, a few steps each)."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.train import TrainConfig
from drift_core.episode import initial_messages
from drift_core.errors import DriftError
from drift_core.train import train

P = ProtocolConfig()


@pytest.fixture(scope="module")
def rows() -> pa.Table:
    """16 one-turn trajectories 'What is i + 3?' -> '<answer>i+3</answer>' with mixed weights."""
    out = []
    for i in range(16):
        answer = {"role": "assistant", "content": f"<answer>{i + 3}</answer>"}
        msgs = [*initial_messages(f"What is {i} + 3?", P), answer]
        out.append({"messages": msgs, "weight": [0.0, 0.5, 1.0, 2.5][i % 4]})
    return pa.Table.from_pylist(out)


def cfg(**kw) -> TrainConfig:
    base = dict(learning_rate=1e-2, per_device_train_batch_size=4, gradient_accumulation_steps=1,
                warmup_ratio=0.0, max_steps=6, save_steps=100, weight_decay=0.0)
    return TrainConfig(**{**base, **kw})


def test_loss_decreases_and_model_dir_loads(rows, random_model_dir, tmp_path):
    res = train(rows, str(random_model_dir), cfg(), tmp_path / "out", progress=False)
    assert res.global_step == 6 and len(res.train_loss) == 6
    assert res.train_loss[-1][1] < 0.8 * res.train_loss[0][1]
    assert res.supervised_tokens > 0 and res.samples == 16
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "out")
    tok = AutoTokenizer.from_pretrained(tmp_path / "out")
    assert tok.chat_template and model.config.use_cache
    base = AutoModelForCausalLM.from_pretrained(random_model_dir)
    assert not torch.equal(model.lm_head.weight, base.lm_head.weight)
    assert (tmp_path / "out" / "drift_train.json").exists()
    assert not (tmp_path / "out" / "checkpoints").exists()  # a finished run keeps no resume points


@pytest.mark.slow
def test_resume_continues_at_the_saved_step(rows, random_model_dir, tmp_path):
    c = cfg(max_steps=4, save_steps=2, learning_rate=1e-3, keep_checkpoints=True)
    full = train(rows, str(random_model_dir), c, tmp_path / "full", progress=False)
    # a run killed after step 2: only checkpoint-2 exists, no final model
    part = tmp_path / "part"
    (part / "checkpoints").mkdir(parents=True)
    shutil.copytree(tmp_path / "full" / "checkpoints" / "checkpoint-2", part / "checkpoints" / "checkpoint-2")
    res = train(rows, str(random_model_dir), c, part, resume=True, progress=False)
    assert res.global_step == 4
    steps = dict(res.train_loss)
    assert sorted(steps) == [1, 2, 3, 4]  # steps 1-2 restored from the checkpoint's state, 3-4 trained now
    for step in (3, 4):  # same data order, same weights: the resumed steps match the uninterrupted run
        assert steps[step] == pytest.approx(dict(full.train_loss)[step], rel=1e-4)


@pytest.mark.slow
def test_packing_lora_and_checkpointing_run(rows, random_model_dir, tmp_path):
    c = cfg(max_steps=2, packing=True, packing_max_tokens=256, lora=True, lora_r=4,
            gradient_checkpointing=True, target="all", normalize="weight_sum")
    res = train(rows, str(random_model_dir), c, tmp_path / "lora", progress=False)
    assert res.global_step == 2
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "lora")  # adapters merged: a plain model dir
    base = AutoModelForCausalLM.from_pretrained(random_model_dir)
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(merged.state_dict()[q], base.state_dict()[q])
    assert not any("lora" in k for k in merged.state_dict())


def test_model_dir_without_tokenizer_is_a_clear_error(rows, random_model_dir, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in random_model_dir.iterdir():
        if f.name.startswith(("config", "model", "generation")):
            shutil.copy(f, bare / f.name)
    with pytest.raises(DriftError, match="no tokenizer"):
        train(rows, str(bare), cfg(), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_empty_training_set_is_a_clear_error(random_model_dir, tmp_path):
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    empty = pa.table({"messages": pa.array([], pa.list_(message)), "weight": pa.array([], pa.float64())})
    with pytest.raises(DriftError, match="empty training set"):
        train(empty, str(random_model_dir), cfg(), tmp_path / "out", progress=False)


def test_packing_auto_packs_only_under_flash_attention():
    from drift_core.config.train import TrainConfig
    from drift_core.train.run import use_packing

    auto = TrainConfig()
    assert auto.packing == "auto"
    assert use_packing(auto, "flash_attention_2") is True
    assert use_packing(auto, "sdpa") is False  # CPU default: the reference's padded batches
    assert use_packing(TrainConfig(packing=True), "sdpa") is True
    assert use_packing(TrainConfig(packing=False), "flash_attention_2") is False
