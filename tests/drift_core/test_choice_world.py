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
from drift_core.tiny_world import (
    SPLIT_FIELDS,
    SPLITS,
    make_splits,
    pretrain_hidden_items,
    pretrain_pools,
    read_card,
)

# choice_world_dir: the test-size choice world, built once per pytest run (tests/conftest.py).


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
    # The known items as they were before hidden-option items (hidden_share 0); the default is below.
    cfg = TinyWorldConfig.for_size("default", task="choice", hidden_share=0.0)
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


def test_hidden_items_letters_uniform_and_not_from_the_text():
    items = choice.hidden_items(0)
    assert len(items) == choice.HIDDEN_CAPACITY
    assert len({it["prompt_id"] for it in items}) == len(items)
    assert len({it["question"] for it in items}) == len(items)  # no two items with the same text
    n = len(items)
    counts = Counter(it["gold"] for it in items)
    assert set(counts) == set(choice.LETTERS) and all(abs(c / n - 0.25) < 0.02 for c in counts.values())
    for it in items[:50]:
        assert it["prompt_id"].startswith("choice-box-") and it["kind"] == "hidden" and it["difficulty"] is None
        assert it["hidden_options"] == 4 and it["options"] == list(choice.HIDDEN_OPTION_TEXTS)  # same for all
        assert sorted([*it["distractor_letters"], it["gold"]]) == list(choice.LETTERS)
        assert it["question"] == "\n".join(
            [choice.hidden_question(int(it["prompt_id"][-4:]))] + [f"{L}. {o}" for L, o in zip("ABCD", it["options"],
                                                                                            strict=True)])
    # The distractor order is random too (not always ascending).
    assert len({tuple(it["distractor_letters"]) for it in items[:200] if it["gold"] == "A"}) > 1

    # Simple predictors from the text fail: the majority letter per text feature, learnt on one half,
    # is right on the other half about as often as a guess.
    def number(it):
        return int(it["prompt_id"].removeprefix("choice-box-"))

    features = {
        "last digit": lambda it: number(it) % 10,
        "first digit": lambda it: number(it) // 1000,
        "number mod 4": lambda it: number(it) % 4,
        "digit sum mod 4": lambda it: sum(map(int, f"{number(it):04d}")) % 4,
        "question length": lambda it: len(it["question"]),
    }
    fit, held = items[: n // 2], items[n // 2 :]
    for name, f in features.items():
        by_value: dict = {}
        for it in fit:
            by_value.setdefault(f(it), Counter())[it["gold"]] += 1
        guess = {v: c.most_common(1)[0][0] for v, c in by_value.items()}
        accuracy = sum(guess.get(f(it), "A") == it["gold"] for it in held) / len(held)
        assert accuracy < 0.28, name
    assert sum(choice.LETTERS[number(it) % 4] == it["gold"] for it in items) / n < 0.28
    # Another seed gives the same ids other letters: the letter is no function of the id.
    other = {it["prompt_id"]: it["gold"] for it in choice.hidden_items(1)}
    assert sum(other[it["prompt_id"]] == it["gold"] for it in items) / n < 0.28
    assert [it["gold"] for it in choice.hidden_items(0)[:100]] == [it["gold"] for it in items[:100]]  # seeded
    assert choice.make_item(arithmetic.make_problem(3, 47, 5))["hidden_options"] is None


def test_hidden_share_of_each_split_and_none_in_pretraining():
    cfg = TinyWorldConfig.for_size("default", task="choice")
    assert cfg.hidden_share == 0.5
    splits = make_splits(cfg)
    before = make_splits(TinyWorldConfig.for_size("default", task="choice", hidden_share=0.0))
    for name in SPLITS:
        rows = splits[name]
        hidden = [r for r in rows if r["hidden_options"] is not None]
        known = [r for r in rows if r["hidden_options"] is None]
        assert len(rows) == len(before[name]) and len(hidden) == round(0.5 * len(rows))
        assert all(r["kind"] == "hidden" and r["hidden_options"] == 4 for r in hidden)
        assert known == before[name][: len(known)]  # the known items: the first ones of share 0, in order
        assert rows != known + hidden  # interleaved, not appended
        assert all(set(SPLIT_FIELDS) <= set(r) for r in rows)
    ids = {k: {r["prompt_id"] for r in v} for k, v in splits.items()}
    questions = {k: {r["question"] for r in v} for k, v in splits.items()}
    assert all(len(ids[k]) == len(splits[k]) == len(questions[k]) for k in ids)
    assert not ids["train"] & ids["test"] and not ids["validation"] & (ids["train"] | ids["test"])
    assert not questions["train"] & questions["test"] and not questions["validation"] & (
        questions["train"] | questions["test"])
    # Pre-training's hidden items are its own: no split's id or question text.
    pre = pretrain_hidden_items(cfg, splits)
    assert len(pre) == choice.HIDDEN_CAPACITY - sum(round(0.5 * len(v)) for v in splits.values())
    assert not {p["prompt_id"] for p in pre} & set().union(*ids.values())
    assert not {p["question"] for p in pre} & set().union(*questions.values())
    assert make_splits(cfg) == splits  # deterministic
    quarter = make_splits(TinyWorldConfig.for_size("default", task="choice", hidden_share=0.25))
    assert sum(r["hidden_options"] is not None for r in quarter["test"]) == 125
    assert not pretrain_hidden_items(TinyWorldConfig.for_size("default", task="choice", hidden_pretrain_share=0.0),
                                     splits)


def test_hidden_dialogues_guess_then_repeat_at_the_configured_rate():
    from drift_core.tiny_world.dialogues import synth_choice_dialogue, synth_hidden_dialogue

    cfg = TinyWorldConfig.for_size("default", task="choice")
    items = choice.hidden_items(3)[:4000]
    rng = random.Random(0)
    first_right = later = repeats = solved_by_4 = 0
    for it in items:
        d = synth_hidden_dialogue(it, rng, cfg)
        answers = [g.removesuffix("</answer>") for g in d.generated]
        assert all(a in choice.LETTERS for a in answers) and len(answers) <= cfg.max_turns
        first_right += d.generated[0] == it["gold"] + "</answer>"
        rejected: set[str] = set()
        for t, (g, a) in enumerate(zip(d.generated, answers, strict=True)):
            if not g.endswith("</answer>"):
                continue
            if t:
                later += 1
                repeats += a in rejected
            if a != it["gold"]:
                rejected.add(a)
        solved_by_4 += any(g == it["gold"] + "</answer>" for g in d.generated[:4])
    assert abs(first_right / len(items) - 0.25) < 0.03  # a guess
    assert abs(repeats / later - cfg.hidden_repeat_rate) < 0.04
    assert solved_by_4 / len(items) < 0.8  # far from the elimination optimum (1.0 by turn 4)
    # The choice world's dialogue maker hands hidden items to it.
    d1 = synth_choice_dialogue(items[0], random.Random(5), cfg)
    assert d1 == synth_hidden_dialogue(items[0], random.Random(5), cfg)


def test_elimination_and_its_optimum():
    from drift_core.episode import Episode
    from drift_core.tiny_world.card import elimination, elimination_optimum
    from drift_core.tiny_world.dialogues import world_protocol

    p = world_protocol("choice")
    item = choice.hidden_item(7, random.Random(0))
    wrong = item["distractor_letters"]

    def episode(*generated):
        ep = Episode(prompt_id="x", sample_idx=0, question=item["question"], gold=item["gold"], protocol=p)
        for g in generated:
            ep.step(g, 2)
        return ep

    x, y = wrong[0], wrong[1]
    # turn 2 repeats x; turn 3 malformed (not counted, rejects nothing); turn 4 y is new; turn 5 x again.
    a = episode(f"{x}</answer>", f"{x}</answer>", f"{y}", f"{y.lower()} </answer>", f"{x}</answer>")
    assert elimination([a]) == pytest.approx(1 / 3)
    b = episode(f"{x}</answer>", f"{item['gold']}</answer>")  # right at turn 2: a new option
    assert elimination([a, b]) == pytest.approx(2 / 4)
    assert elimination([episode(f"{item['gold']}</answer>")]) is None  # nothing after 'Incorrect'
    c = episode(f"{y}", f"{y}</answer>")  # turn 1 malformed: turn 2 rejects nothing before it
    assert elimination([c]) == 1.0
    rows = [{"hidden_options": None}, {"hidden_options": 4}]
    assert elimination_optimum(rows, 5) == {"multi@1": 0.625, "multi@2": 0.75, "multi@3": 0.875, "multi@4": 1.0,
                                            "multi@5": 1.0}


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
    # Hidden-option items: half of each split; the card's elimination optimum and elimination figure.
    hidden = {name: [r for r in rs if r["hidden_options"] is not None] for name, rs in rows.items()}
    assert card["hidden_items"] == {name: len(hs) for name, hs in hidden.items()}
    assert all(len(hidden[name]) == round(0.5 * len(rows[name])) for name in SPLITS)
    from drift_core.tiny_world.card import elimination_optimum

    share = len(hidden["test"]) / len(rows["test"])
    for mode in ("greedy", "sampled_t1"):
        m = card["metrics"][mode]
        want = {f"multi@{k}": 1 - share + share * min(1.0, k / 4) for k in range(1, 6)}
        assert m["elimination_optimum"] == pytest.approx(want, abs=1e-4)
        assert m["elimination_optimum"] == pytest.approx(elimination_optimum(rows["test"], 5), abs=1e-4)
        assert m["elimination"] is None or 0.0 <= m["elimination"] <= 1.0
        assert m["by_level"]["hidden"]["problems"] == len(hidden["test"])
    text = (choice_world_dir / "README.md").read_text()
    assert "Elimination optimum" in text and "elimination, hidden-option items" in text
    # No test or validation hidden item (id or question) in pre-training, rebuilt from the card's config.
    splits = {name: [dict(r) for r in rs] for name, rs in rows.items()}
    pre = pretrain_hidden_items(TinyWorldConfig(**card["config"]), splits)
    assert pre and card["pretrain"]["hidden_items"] == len(pre)
    held = [r for name in ("test", "validation") for r in hidden[name]]
    assert not {p["prompt_id"] for p in pre} & {r["prompt_id"] for r in held}
    assert not {p["question"] for p in pre} & {r["question"] for r in held}
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
    # hidden_options reaches the prompt rows (4: a hidden-option item, None: a known one).
    assert all("hidden_options" in r for r in ps.rows)
    assert {r["hidden_options"] for r in ps.rows} == {None, 4}
    assert all((r["hidden_options"] == 4) == r["prompt_id"].startswith("choice-box-") for r in ps.rows)
    protocol = ps.protocol(cfg.protocol)
    assert protocol.verifier == "choice" and protocol.instruction == choice.INSTRUCTION
    assert not (ws.root / "tiny_world").exists()  # the arithmetic world was not built


def test_cli_names_a_bad_task(tmp_path, capsys):
    from cli.testing import drift

    assert drift("tiny-world", "--out", tmp_path / "x", "--task", "riddles", "--size", "test") == 1
    assert "--task must be arithmetic or choice" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
