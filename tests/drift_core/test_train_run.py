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
            gradient_checkpointing=True, target="all", normalize="weight_sum", eval_split_ratio=0.25)
    res = train(rows, str(random_model_dir), c, tmp_path / "lora", progress=False)
    assert res.global_step == 2
    assert [step for step, _ in res.eval_loss] == [2] and res.eval_samples == 4  # packed eval, at the end
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


# -- the reference's training set: hold-out, file order, accumulation (docs/training.md) ---------------------
@pytest.mark.parametrize("n", [2, 20, 37, 100, 1801])
def test_eval_split_holds_out_the_last_rows_as_train_test_split(n):
    import datasets

    from drift_core.train.run import split_eval

    rows = pa.table({"i": list(range(n))})
    train_part, held = split_eval(rows, 0.05)
    ref = datasets.Dataset.from_dict({"i": list(range(n))}).train_test_split(test_size=0.05, shuffle=False)
    assert train_part["i"].to_pylist() == ref["train"]["i"] and held["i"].to_pylist() == ref["test"]["i"]
    # by hand: ceil(0.05 * n) rows at the end: n=37 -> ceil(1.85) = 2 -> rows 35, 36
    if n == 37:
        assert held["i"].to_pylist() == [35, 36]
    assert split_eval(rows, 0.0) == (rows, None)


def test_eval_split_leaving_nothing_to_train_is_an_error():
    from drift_core.train.run import split_eval

    with pytest.raises(DriftError, match="none left to train on"):
        split_eval(pa.table({"i": [0]}), 0.5)  # ceil(0.5 * 1) = 1 of 1 row


def held_out_nll(model_dir, rows_part) -> list[float]:
    """Mean target NLL of each row's sample, alone in its batch, under the model in model_dir."""
    from drift_core.chat import load_tokenizer
    from drift_core.train.collators import PaddingCollator
    from drift_core.train.data import Sample, build_samples
    from drift_core.train.trainer import batch_loss

    tok = load_tokenizer(str(model_dir), padding_side="right")
    model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="sdpa").train(False)
    out = []
    for s in build_samples(rows_part, tok, prefill="<answer>", target="last", max_prompt_length=8192,
                           max_completion_length=512):
        alone = PaddingCollator(0)([Sample(s.prompt_ids, s.target_ids, 1.0)])
        with torch.no_grad():
            out.append(batch_loss(model, alone, "mean")[0].item())
    return out


def test_eval_split_logs_the_exact_held_out_loss(rows, random_model_dir, tmp_path):
    # 16 rows, ratio 0.25 -> the last ceil(4.0) = 4 rows (weights 0, 0.5, 1, 2.5) are held out, 12 trained.
    c = cfg(eval_split_ratio=0.25, eval_steps=3, per_device_eval_batch_size=3, normalize="weight_sum")
    res = train(rows, str(random_model_dir), c, tmp_path / "out", progress=False)
    assert res.samples == 12 and res.eval_samples == 4
    assert [step for step, _ in res.eval_loss] == [3, 6]  # every 3 steps; the final one not repeated
    # weight_sum: eval_loss = sum_i w_i nll_i / sum_i w_i over the 4 held-out samples, whatever the batches
    # (here 3 + 1); nll_i under the saved (final) model, i.e. the model evaluated at step 6.
    nll = held_out_nll(tmp_path / "out", rows.slice(12))
    w = [0.0, 0.5, 1.0, 2.5]
    assert res.eval_loss[-1][1] == pytest.approx(sum(a * b for a, b in zip(w, nll, strict=True)) / 4.0, rel=1e-4)


def test_shuffle_false_keeps_the_row_order(rows, random_model_dir, tmp_path):
    from drift_core.chat import load_tokenizer
    from drift_core.train.data import build_samples
    from drift_core.train.run import load_model, make_trainer, split_eval

    tok = load_tokenizer(str(random_model_dir), padding_side="right")
    marked = rows.set_column(1, "weight", pa.array([0.1 * (i + 1) for i in range(16)]))  # weight = row id
    train_rows, _ = split_eval(marked, 0.25)
    c = cfg(shuffle=False, gradient_accumulation_steps=2)
    samples = build_samples(train_rows, tok, prefill="<answer>", target="last", max_prompt_length=8192,
                            max_completion_length=512)
    trainer = make_trainer(load_model(str(random_model_dir), c), tok, samples, c, tmp_path, progress=False)
    seen = [w for batch in trainer.get_train_dataloader() for w in batch["weights"].tolist()]
    assert seen == pytest.approx([0.1 * (i + 1) for i in range(12)])  # rows 0..11 in table order
    c = cfg(shuffle=True)  # guard: the default shuffles
    trainer = make_trainer(load_model(str(random_model_dir), c), tok, samples, c, tmp_path, progress=False)
    shuffled = [w for batch in trainer.get_train_dataloader() for w in batch["weights"].tolist()]
    assert sorted(shuffled) == pytest.approx(seen) and shuffled != pytest.approx(seen)


@pytest.mark.parametrize("accumulation", ["mean", "sum"])
def test_accumulation_mean_averages_and_sum_adds_micro_batches(rows, random_model_dir, tmp_path, accumulation):
    """One optimizer step, 2 micro-batches of 2 samples, plain SGD (lr 1): the update is minus the gradient."""
    from drift_core.chat import load_tokenizer
    from drift_core.train.collators import PaddingCollator
    from drift_core.train.data import Sample, build_samples
    from drift_core.train.run import load_model, training_arguments
    from drift_core.train.trainer import WeightedSFTTrainer, batch_loss

    tok = load_tokenizer(str(random_model_dir), padding_side="right")
    part = rows.slice(0, 4).set_column(1, "weight", pa.array([0.5, 1.0, 2.0, 3.0]))
    samples = build_samples(part, tok, prefill="<answer>", target="last", max_prompt_length=8192,
                            max_completion_length=512)
    c = cfg(shuffle=False, per_device_train_batch_size=2, gradient_accumulation_steps=2, max_steps=1,
            max_grad_norm=1e9, accumulation=accumulation)
    # the expected gradient, by hand: L = sum_i w_i nll_i / (S * GA) with mean (S=2 per micro-batch, GA=2),
    # / S with sum (each micro-batch's mean loss added, no / GA)
    ref = load_model(str(random_model_dir), c).train(False)
    nll = [batch_loss(ref, PaddingCollator(0)([Sample(s.prompt_ids, s.target_ids, 1.0)]), "mean")[0] for s in samples]
    divisor = 4.0 if accumulation == "mean" else 2.0
    (sum(s.weight * x for s, x in zip(samples, nll, strict=True)) / divisor).backward()
    expected = {n: p.grad.clone() for n, p in ref.named_parameters()}

    model = load_model(str(random_model_dir), c).train(False)  # no dropout in the model: train(False) changes nothing
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    sgd = torch.optim.SGD(model.parameters(), lr=1.0)
    trainer = WeightedSFTTrainer(model=model, args=training_arguments(c, tmp_path, False), train_dataset=samples,
                                 data_collator=PaddingCollator(tok.pad_token_id), processing_class=tok,
                                 optimizers=(sgd, torch.optim.lr_scheduler.LambdaLR(sgd, lambda _: 1.0)),
                                 normalize="mean", accumulation=accumulation)
    trainer.train()
    for n, p in model.named_parameters():
        torch.testing.assert_close(before[n] - p.detach(), expected[n], atol=1e-6, rtol=1e-4)
    # the logged loss is the step's summed micro-batch losses: their mean (mean) or their sum (sum)
    batches = [sum(s.weight * x.item() for s, x in zip(samples[k:k + 2], nll[k:k + 2], strict=True)) / 2
               for k in (0, 2)]
    logged = trainer.state.log_history[0]["loss"]
    assert logged == pytest.approx(sum(batches) / (2 if accumulation == "mean" else 1), abs=1e-4)
