"""The multiple-choice tiny world: items, mixture, splits, the test-size build, and how the pipeline picks it."""

from __future__ import annotations

import json
import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.prompts import arithmetic, choice
from drift_core.tiny_world import SPLIT_FIELDS, SPLITS, make_splits, pretrain_pools, read_card


@pytest.fixture(scope="module")
def choice_world_dir(tmp_path_factory) -> Path:
    from drift_core.tiny_world import build

    return build(tmp_path_factory.mktemp("choice_world") / "cw", seed=0, size="test", task="choice", progress=False)


def read_split(d: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (d / "prompts" / f"{name}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("level", [1, 3, 9, 10])
def test_items_have_four_distinct_options_exactly_one_right(level):
    for p in arithmetic.all_problems(level)[::7]:
        item = choice.make_item(p)
        opts = item["options"]
        assert len(opts) == 4 and len(set(opts)) == 4  # distractors distinct, none equal to the answer
        assert opts.count(int(p["gold"])) == 1
        assert opts[choice.LETTERS.index(item["gold"])] == int(p["gold"])
        assert sorted(item["distractor_letters"] + [item["gold"]]) == list(choice.LETTERS)
        assert opts == sorted(opts)  # ascending, as numeric options usually are
        lines = item["question"].splitlines()
        assert lines[0] == p["question"] and lines[1:] == [f"{L}. {v}" for L, v in zip("ABCD", opts, strict=True)]


def test_distractors_are_the_slips():
    carry = choice.make_item(arithmetic.make_problem(3, 47, 5))  # 47 + 5 = 52
    assert carry["kind"] == "carry"
    assert carry["options"][choice.LETTERS.index(carry["distractor_letters"][0])] == 42  # carry dropped
    stuck = choice.make_item(arithmetic.make_problem(10, 7, 45))  # 7 - 45 = -38
    assert stuck["kind"] == "stuck"
    assert stuck["options"][choice.LETTERS.index(stuck["distractor_letters"][0])] == 38  # sign dropped
    assert [v for v in stuck["options"] if v < 0] == [-38]  # every distractor is positive
    plain = choice.make_item(arithmetic.make_problem(3, 41, 3))  # 44, no carry
    assert plain["kind"] == "plain" and plain["options"] == [43, 44, 45, 54] and plain["gold"] == "B"
    borrow = choice.make_item(arithmetic.make_problem(9, 52, 7))  # 45; borrow dropped -> 55
    assert borrow["options"] == [44, 45, 46, 55] and borrow["gold"] == "B" and borrow["distractor_letters"][0] == "D"
    assert carry["options"] == [42, 51, 52, 53] and carry["gold"] == "C" and stuck["gold"] == "A"


def test_mixture_repeats_walks_and_fixes():
    """The dialogues do what the config says: stuck problems rarely reach the right option."""
    from drift_core.tiny_world.dialogues import synth_choice_dialogue

    cfg = TinyWorldConfig.for_size("default", task="choice")
    rng = random.Random(0)
    stuck = choice.make_item(arithmetic.make_problem(10, 7, 45))
    carry = choice.make_item(arithmetic.make_problem(3, 47, 5))
    solved = Counter()
    for item in (stuck, carry):
        for _ in range(400):
            d = synth_choice_dialogue(item, rng, cfg)
            assert all(g.removesuffix("</answer>") in choice.LETTERS for g in d.generated)
            solved[item["kind"]] += d.generated[-1] == item["gold"] + "</answer>"
    assert solved["stuck"] < 0.15 * 400 and solved["carry"] > 0.9 * 400
    d = synth_choice_dialogue(carry, random.Random(1), cfg, clean=True)
    assert d.generated == (carry["gold"] + "</answer>",)


def test_splits_three_disjoint_and_unseen_by_pretraining():
    cfg = TinyWorldConfig.for_size("default", task="choice")
    splits = make_splits(cfg)
    assert {k: len(v) for k, v in splits.items()} == {"test": 500, "train": 600, "validation": 300}
    ids = {k: {r["prompt_id"] for r in v} for k, v in splits.items()}
    assert all(len(ids[k]) == len(splits[k]) for k in ids)
    assert not ids["train"] & ids["test"] and not ids["validation"] & (ids["train"] | ids["test"])
    held = set().union(*ids.values())
    pre = {p["prompt_id"] for ps in pretrain_pools(cfg, held).values() for p in ps}
    assert pre and not pre & {"arith-" + i.removeprefix("choice-") for i in held}
    kinds = Counter(r["kind"] for r in splits["train"])
    assert 0.25 < kinds["stuck"] / 600 < 0.35 and 0.25 < kinds["carry"] / 600 < 0.4


@pytest.mark.slow  # builds the choice world (test size)
def test_test_size_builds_and_answers_letters(choice_world_dir):
    card = read_card(choice_world_dir)
    assert card["task"] == "choice" and card["size"] == "test"
    assert card["protocol"] == {"instruction": choice.INSTRUCTION, "verifier": "choice", "think": False}
    assert set(card["splits"]) == set(SPLITS)
    rows = {name: read_split(choice_world_dir, name) for name in SPLITS}
    for name, rs in rows.items():
        assert len(rs) == card["splits"][name]
        for r in rs:
            assert set(r) == set(SPLIT_FIELDS) and r["gold"] in choice.LETTERS and r["prompt_id"].startswith("choice-")
    ids = [{r["prompt_id"] for r in rs} for rs in rows.values()]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    for mode in ("greedy", "sampled_t1"):
        ks = [card["metrics"][mode][f"multi@{k}"] for k in range(1, 6)]
        assert ks == sorted(ks) and ks[0] >= 0.0 and ks[-1] <= 1.0
    assert set(card["metrics"]["greedy"]["by_level"]) <= set(choice.KINDS)
    assert "choice" in (choice_world_dir / "README.md").read_text()
    cfg = json.loads((choice_world_dir / "config.json").read_text())
    assert cfg["architectures"] == ["LlamaForCausalLM"] and "auto_map" not in cfg


@pytest.mark.slow  # builds the choice world (test size)
def test_episode_renders_like_the_pretraining_data(choice_world_dir):
    """An episode of the choice world (its protocol, letters) tokenizes exactly as its pre-training data."""
    from drift_core.chat import load_tokenizer
    from drift_core.episode import Episode
    from drift_core.tiny_world.dialogues import Dialogue, world_protocol
    from drift_core.tiny_world.pretrain import DialogueEncoder

    tok = load_tokenizer(str(choice_world_dir))
    p = world_protocol("choice")
    item = choice.make_item(arithmetic.make_problem(3, 47, 5))
    wrong = item["distractor_letters"][0]
    ep = Episode(prompt_id=item["prompt_id"], sample_idx=0, question=item["question"], gold=item["gold"], protocol=p)
    turns = (f"{wrong}</answer>", f"{item['value']}</answer>")  # the dropped carry's letter, the right value
    for generated in turns:
        ep.step(generated, 2)
    assert [t.correct for t in ep.turns] == [False, True]  # the choice verifier accepts the option's value
    d = Dialogue(item["question"], turns)
    assert d.messages(p) == ep.messages
    ids, _ = DialogueEncoder(tok, p).encode(d)
    assert tok(tok.apply_chat_template(ep.messages, tokenize=False), add_special_tokens=False).input_ids == ids
    assert len(tok("\nB. ", add_special_tokens=False).input_ids) == 1
    from drift_core.tiny_world.tokenizer import protocol_pieces

    assert all(len(tok(piece, add_special_tokens=False).input_ids) == 1 for piece in protocol_pieces(p))


@pytest.mark.slow  # builds the choice world (test size)
def test_pipeline_selects_the_world(choice_world_dir, tmp_path):
    from drift_core.config.pipeline import load_config, with_overrides
    from drift_core.prompts import load_prompt_set
    from drift_core.prompts.prompt_set import prompts_from_spec
    from drift_core.stages.model import reference_model
    from drift_core.store import Workspace

    cfg = load_config(None, ["tiny_world.task=choice"])
    assert (cfg.prompts.source, cfg.eval_prompts.source, cfg.rollout.model) == ("tiny-world-choice",) * 3
    back = with_overrides(cfg, ["tiny_world.task=arithmetic"])
    assert (back.prompts.source, back.eval_prompts.source, back.rollout.model) == ("tiny-world", "tiny-world", None)
    assert load_config(None).rollout.model is None and load_config(None).prompts.source == "tiny-world"

    ws = Workspace(tmp_path / "ws")
    shutil.copytree(choice_world_dir, ws.root / "tiny_world_choice")  # built: never rebuilt here
    ref = reference_model(ws, cfg.rollout)
    assert ref.path == "tiny_world_choice"
    ps = load_prompt_set(prompts_from_spec(cfg.eval_prompts, "tiny-world-choice:validation"), ws.root)
    assert ps.label == "tiny-world-choice-validation" and len(ps.rows) == read_card(choice_world_dir)["splits"][
        "validation"]
    protocol = ps.protocol(cfg.protocol)
    assert protocol.verifier == "choice" and protocol.instruction == choice.INSTRUCTION
    assert not (ws.root / "tiny_world").exists()  # the arithmetic world was not built


def test_cli_names_a_bad_task(tmp_path, capsys):
    from cli.testing import drift

    assert drift("tiny-world", "--out", tmp_path / "x", "--task", "riddles", "--size", "test") == 1
    assert "--task must be arithmetic or choice" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
