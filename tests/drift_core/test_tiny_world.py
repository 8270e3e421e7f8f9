"""The tiny world at its `test` size: files, splits, card, Auto-class loading, chat template, engines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.errors import DriftError
from drift_core.tiny_world import (
    SPLIT_FIELDS,
    SPLITS,
    ensure_tiny_world,
    make_splits,
    pretrain_pools,
    prompts_file,
    read_card,
)


def read_split(d: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (d / "prompts" / f"{name}.jsonl").read_text().splitlines()]


def test_files_and_no_custom_code(tiny_world_dir):
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "card.json",
                 "README.md", "prompts/train.jsonl", "prompts/validation.jsonl", "prompts/test.jsonl"):
        assert (tiny_world_dir / name).is_file(), name
    assert not list(tiny_world_dir.glob("*.py"))  # nothing for trust_remote_code to run
    cfg = json.loads((tiny_world_dir / "config.json").read_text())
    assert cfg["architectures"] == ["LlamaForCausalLM"] and "auto_map" not in cfg


def test_splits_are_disjoint_from_each_other_and_from_pretraining(tiny_world_dir):
    card = read_card(tiny_world_dir)
    train, val, test = (read_split(tiny_world_dir, name) for name in ("train", "validation", "test"))
    assert [len(train), len(val), len(test)] == [card["splits"][k] for k in ("train", "validation", "test")]
    for row in train + val + test:
        assert set(row) == set(SPLIT_FIELDS)
        assert str(eval(row["question"].removeprefix("What is ").rstrip("?"))) == row["gold"]  # exact gold
    train_ids, val_ids, test_ids = ({r["prompt_id"] for r in rows} for rows in (train, val, test))
    assert len(train_ids) == len(train) and len(val_ids) == len(val) and len(test_ids) == len(test)
    assert not train_ids & test_ids and not val_ids & (train_ids | test_ids)
    # The pools pre-training drew from, rebuilt from the card's config, hold no split problem.
    cfg = TinyWorldConfig(**card["config"])
    held = train_ids | val_ids | test_ids
    pools = pretrain_pools(cfg, held)
    pre_ids = {p["prompt_id"] for ps in pools.values() for p in ps}
    assert pre_ids and not pre_ids & held


# sha256 (first 16 hex digits) of the test and train split files and their first ids, computed with the
# two-split code before the validation split was added: adding it must not move a single problem.
TWO_SPLIT_DIGESTS = {
    ("default", 0): {"test": ("d7798d6d43cc6a28", ["arith-0-14", "arith-1-85", "arith-54+8"]),
                     "train": ("00c488b6beed1c1f", ["arith-17+8", "arith-49+1", "arith-30+9"])},
    ("default", 1): {"test": ("2bece7e9d13f82c9", ["arith-15-7", "arith-10+28", "arith-97-2"]),
                     "train": ("0a22e14633922c0d", ["arith-95+9", "arith-5-17", "arith-82-7"])},
    ("test", 0): {"test": ("9f9c79115338c8bf", ["arith-6+6", "arith-3+6", "arith-27+5"]),
                  "train": ("749c3d087a2d449d", ["arith-95+5", "arith-95+2", "arith-0+1"])},
}


# The split files' fields when the digests were computed; hidden_options (always None in the arithmetic
# world) came later and is checked on its own.
TWO_SPLIT_FIELDS = ("prompt_id", "question", "gold", "difficulty")


@pytest.mark.parametrize(("size", "seed"), sorted(TWO_SPLIT_DIGESTS))
def test_validation_split_leaves_test_and_train_unchanged(size, seed):
    import hashlib

    cfg = TinyWorldConfig.for_size(size, seed=seed)
    splits = make_splits(cfg)
    assert all(p["hidden_options"] is None for rows in splits.values() for p in rows)
    assert set(SPLIT_FIELDS) == {*TWO_SPLIT_FIELDS, "hidden_options"}
    for name, (digest, first) in TWO_SPLIT_DIGESTS[(size, seed)].items():
        text = "".join(json.dumps({k: p[k] for k in TWO_SPLIT_FIELDS}) + "\n" for p in splits[name])
        assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest, name
        assert [p["prompt_id"] for p in splits[name][:3]] == first
    assert len(splits["validation"]) == cfg.validation_count and set(splits) == set(SPLITS)
    val = {p["prompt_id"] for p in splits["validation"]}
    assert not val & {p["prompt_id"] for name in ("train", "test") for p in splits[name]}


def test_the_arithmetic_world_refuses_hidden_items():
    from pydantic import ValidationError

    for name in ("hidden_share", "hidden_pretrain_share"):
        with pytest.raises(ValidationError, match=f"{name}=0.2: the arithmetic world has no hidden-option items"):
            TinyWorldConfig.for_size("default", **{name: 0.2})
    assert TinyWorldConfig.for_size("test").hidden_share == 0.0
    from drift_core.worlds import hidden_worlds

    assert all(TinyWorldConfig.for_size("test", task=w, hidden_share=0.2).hidden_share == 0.2 for w in hidden_worlds())
    assert hidden_worlds()  # the choice world has them


def test_card_figures_within_loose_bounds(tiny_world_dir):
    card = read_card(tiny_world_dir)
    assert card["kind"] == "drift-tiny-world" and card["size"] == "test"
    for mode in ("greedy", "sampled_t1"):
        m = card["metrics"][mode]
        ks = [m[f"multi@{k}"] for k in range(1, 6)]
        assert ks == sorted(ks) and ks[0] >= 0.0 and ks[-1] <= 1.0  # multi@k never decreases in k
        assert 0.0 <= m["malformed_share"] <= 0.5
        assert 0.0 <= m["repeated_after_feedback_share"] <= 1.0
        assert 1.0 <= m["mean_turns"] <= 5.0
        # No hidden-option items: the elimination optimum solves everything at turn 1, no elimination figure.
        assert m["elimination_optimum"] == {f"multi@{k}": 1.0 for k in range(1, 6)} and m["elimination"] is None
    assert card["hidden_items"] == {"train": 0, "validation": 0, "test": 0}
    # The test size is trained briefly, but it must already answer in the protocol's format and solve some.
    assert card["metrics"]["sampled_t1"]["multi@5"] > 0.0 or card["metrics"]["greedy"]["multi@5"] > 0.0
    assert "greedy" in (tiny_world_dir / "README.md").read_text()


def test_auto_classes_load_and_chat_template_renders(tiny_world_dir):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from drift_core.episode import initial_messages

    tok = AutoTokenizer.from_pretrained(tiny_world_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_world_dir)
    assert type(model).__name__ == "LlamaForCausalLM"
    assert tok.eos_token == "<|end|>" and tok.pad_token == "<pad>" and tok.pad_token_id != tok.eos_token_id
    messages = initial_messages("What is 47 + 5?", ProtocolConfig())
    ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"]
    text = tok.decode(ids)
    assert text.startswith("<|system|>") and text.endswith("<|assistant|>")
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits  # [1, seq, vocab]
    assert logits.shape == (1, len(ids), len(tok))


def test_multi_turn_episode_renders_like_the_pretraining_data(tiny_world_dir):
    """The rollout's render() of an episode tokenizes exactly as the pre-training dialogues were built."""
    from drift_core.chat import load_tokenizer, render
    from drift_core.episode import Episode, prefill_text
    from drift_core.tiny_world.dialogues import Dialogue
    from drift_core.tiny_world.pretrain import IGNORE, DialogueEncoder

    tok = load_tokenizer(str(tiny_world_dir))
    p = ProtocolConfig()
    ep = Episode(prompt_id="x", sample_idx=0, question="What is 52 - 27?", gold="25", protocol=p)
    for generated in ("35</answer>", "26", "25</answer>"):  # slip, malformed, fixed
        ep.step(generated, 3)
    assert [t.correct for t in ep.turns] == [False, False, True] and not ep.turns[1].format_ok
    d = Dialogue("What is 52 - 27?", ("35</answer>", "26", "25</answer>"))
    assert d.messages(p) == ep.messages
    ids, labels = DialogueEncoder(tok, p).encode(d)
    rendered = tok.apply_chat_template(ep.messages, tokenize=False)
    assert tok(rendered, add_special_tokens=False).input_ids == ids
    # Each turn's prompt (what the engine sees) is a prefix of the dialogue; loss only after the prefill.
    prompt = tok(render(tok, ep.messages[:2], prefill_text(p)), add_special_tokens=False).input_ids
    assert ids[: len(prompt)] == prompt and set(labels[: len(prompt)]) == {IGNORE}
    assert tok.decode([i for i in labels if i != IGNORE], skip_special_tokens=True) == "35</answer>2625</answer>"
    # Digits are single tokens; the protocol's long strings cost one token each.
    assert tok.convert_ids_to_tokens(tok("1234", add_special_tokens=False).input_ids) == list("1234")
    assert len(tok(p.feedback_incorrect, add_special_tokens=False).input_ids) == 1


def test_hf_engine_runs_on_it(tiny_world_dir):
    from drift_core.chat import render
    from drift_core.engines import Sampling, make_engine
    from drift_core.episode import initial_messages, prefill_text

    engine = make_engine("hf", str(tiny_world_dir), device="cpu")
    p = ProtocolConfig()
    text = render(engine.tokenizer, initial_messages("What is 8 + 5?", p), prefill_text(p))
    (out,) = engine.generate([text], Sampling(n=2, temperature=1.0, max_new_tokens=8, seed=0))
    assert len(out) == 2 and all(c.num_tokens >= 1 for c in out)
    engine.close()


@pytest.mark.slow
@pytest.mark.vllm
def test_vllm_engine_runs_on_it(tiny_world_dir, tmp_path, monkeypatch):
    from drift_core.engines import Sampling, make_engine, vllm_available

    ok, why = vllm_available()
    if not ok:
        pytest.skip(why)
    try:
        import drift_core.engines.vllm  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"drift_core.engines.vllm is not there yet: {exc}")
    for var in ("VLLM_CACHE_ROOT", "TORCHINDUCTOR_CACHE_DIR", "TMPDIR"):
        monkeypatch.setenv(var, str(tmp_path))
    engine = make_engine("vllm", str(tiny_world_dir))
    try:
        from drift_core.chat import load_tokenizer, render
        from drift_core.episode import initial_messages, prefill_text

        p = ProtocolConfig()
        text = render(load_tokenizer(str(tiny_world_dir)), initial_messages("What is 8 + 5?", p), prefill_text(p))
        (out,) = engine.generate([text], Sampling(n=2, temperature=1.0, max_new_tokens=8, seed=0))
        assert len(out) == 2
    finally:
        engine.close()


def test_ensure_reuses_a_built_world_and_names_bad_splits(tiny_world_dir, tmp_path):
    ws = tmp_path / "ws"
    shutil.copytree(tiny_world_dir, ws / "tiny_world")
    before = (ws / "tiny_world" / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny_world(ws) == (ws / "tiny_world").resolve()
    assert (ws / "tiny_world" / "model.safetensors").stat().st_mtime_ns == before  # not rebuilt
    assert prompts_file(ws, "test").read_text() == (tiny_world_dir / "prompts" / "test.jsonl").read_text()
    assert prompts_file(ws, "validation").read_text() == (tiny_world_dir / "prompts" / "validation.jsonl").read_text()
    from drift_core.config.prompts import PromptsConfig
    from drift_core.prompts import load_prompt_set
    from drift_core.prompts.prompt_set import prompts_from_spec

    ps = load_prompt_set(prompts_from_spec(PromptsConfig(), "tiny-world:validation"), ws)
    assert ps.label == "tiny-world-validation" and {r["split"] for r in ps.rows} == {"validation"}
    assert ps.protocol(ProtocolConfig()) == ProtocolConfig()  # the arithmetic world: the default protocol
    with pytest.raises(DriftError, match="no 'dev' split"):
        prompts_file(ws, "dev")


@pytest.mark.slow
def test_same_seed_same_weights(tiny_world_dir, tmp_path):
    from drift_core.tiny_world import build

    again = build(tmp_path / "again", seed=0, size="test", progress=False)
    for name in ("model.safetensors", "tokenizer.json", "prompts/train.jsonl", "prompts/validation.jsonl",
                 "prompts/test.jsonl"):
        assert (again / name).read_bytes() == (tiny_world_dir / name).read_bytes(), name
    a, b = read_card(again)["metrics"], read_card(tiny_world_dir)["metrics"]
    assert a == b


@pytest.mark.slow
def test_ensure_builds_once_into_the_workspace(tmp_path, monkeypatch):
    """First use builds (here the test size, via the env var), leaves no temp dir, and later uses reuse it."""
    from drift_core.tiny_world import SIZE_ENV

    monkeypatch.setenv(SIZE_ENV, "test")
    ws = tmp_path / "ws"
    (ws / "tiny_world").mkdir(parents=True)
    (ws / "tiny_world" / "card.json").write_text('{"interim": true}')  # an outdated world is replaced
    d = ensure_tiny_world(ws)
    assert read_card(d)["size"] == "test"
    assert sorted(p.name for p in ws.iterdir()) == ["tiny_world"]
    stamp = (d / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny_world(ws) == d and (d / "model.safetensors").stat().st_mtime_ns == stamp


def test_packed_batches_give_the_padded_loss(tiny_world_dir):
    """Packing dialogues into shared rows (block-diagonal attention) changes speed, not the loss."""
    import random

    import torch
    from transformers import AutoModelForCausalLM

    from drift_core.chat import load_tokenizer
    from drift_core.prompts import arithmetic
    from drift_core.tiny_world.dialogues import synth_dialogue
    from drift_core.tiny_world.pretrain import DialogueEncoder, _batch, _pack

    tok = load_tokenizer(str(tiny_world_dir))
    model = AutoModelForCausalLM.from_pretrained(tiny_world_dir)
    rng, cfg = random.Random(0), TinyWorldConfig()
    enc = DialogueEncoder(tok)
    rows = [enc.encode(synth_dialogue(p, rng, cfg)) for p in arithmetic.generate(12, [3, 4, 5], seed=3)]
    packed = _pack(rows, tok.pad_token_id, width=64)
    assert packed["input_ids"].shape[0] < len(rows)  # several dialogues share a row
    with torch.no_grad():
        padded_loss = model(**_batch(rows, tok.pad_token_id), use_cache=False).loss
        packed_loss = model(**packed, use_cache=False).loss
    torch.testing.assert_close(packed_loss, padded_loss, rtol=1e-5, atol=1e-5)
