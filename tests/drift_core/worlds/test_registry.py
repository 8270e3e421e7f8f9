"""The tiny-world registry: a third world added from this file (no package file edited) is built by
`drift tiny-world --task`, measured with its own verifier, loaded as a prompt source by its name and picked
by tiny_world.task and `drift compare --world`; names, presets, errors and help come from the registry."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest

from cli.testing import drift
from drift_core.config.prompts import PromptsConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.errors import DriftError
from drift_core.tiny_world.dialogues import Dialogue
from drift_core.verifiers import VERIFIERS, VerifierEntry
from drift_core.worlds import WORLDS, WorldEntry, plain_item, world_of_source
from drift_core.worlds.arithmetic import level_labels

# -- the parity world: the arithmetic problems, asked 'even or odd?', answered with the word ---------------
INSTRUCTION = "Say whether the result is even or odd. Only give the final answer between <answer> and </answer>."
ASKED: list[str] = []  # every answer the parity verifier was asked about


def parity_item(problem: dict) -> dict:
    """'What is 47 + 5?' -> 'Is 47 + 5 even or odd?', gold 'even'; the id 'parity-47+5'."""
    expr = problem["question"].removeprefix("What is ").removesuffix("?")
    return {**plain_item(problem), "prompt_id": "parity-" + problem["prompt_id"].removeprefix("arith-"),
            "question": f"Is {expr} even or odd?", "gold": "even" if int(problem["gold"]) % 2 == 0 else "odd"}


def parity_dialogue(problem, rng, cfg, clean=False) -> Dialogue:
    """Wrong at turn 1 with slip_rate, right after 'Incorrect' with fix_rate (the other word, else again)."""
    item = problem if problem["prompt_id"].startswith("parity-") else parity_item(problem)
    right = item["gold"]
    wrong = "odd" if right == "even" else "even"
    generated: list[str] = []
    for t in range(1 if clean else cfg.max_turns):
        slip = cfg.slip_rate if t == 0 else 1 - cfg.fix_rate
        answer = wrong if not clean and rng.random() < slip else right
        generated.append(answer + "</answer>")
        if answer == right:
            break
    return Dialogue(item["question"], tuple(generated))


def parity_check(answer: str, gold: str, question: str) -> bool:
    ASKED.append(answer)
    return answer.strip().lower()[:1] == gold[:1]  # 'e' is 'even'


PARITY = WorldEntry(
    name="parity",
    help="is the result even or odd: answer the word",
    source="tiny-world-parity",
    dir_name="tiny_world_parity",
    make_item=parity_item,
    synth=parity_dialogue,
    protocol=lambda: {"instruction": INSTRUCTION, "verifier": "parity"},
    group_labels=level_labels,
    what="parity",
    card_text="It tells whether an arithmetic result is even or odd, and slips at turn 1.",
    card_tag="parity",
    preset={"slip_rate": 0.3, "fix_rate": 0.9},
    pieces=("Is ", " even or odd?"),
)


@pytest.fixture()
def parity():
    """Registers the parity world and its verifier for one test."""
    VERIFIERS.register(VerifierEntry(name="parity", help="the word's first letter", check=parity_check))
    WORLDS.register(PARITY)
    ASKED.clear()
    yield PARITY
    WORLDS.unregister(PARITY.name)
    VERIFIERS.unregister("parity")


def test_a_registered_world_is_built_loaded_and_selected(parity, tmp_path):
    from drift_core.config.pipeline import load_config
    from drift_core.prompts import load_prompt_set, prompts_from_spec
    from drift_core.stages.model import reference_model
    from drift_core.store import Workspace
    from drift_core.tiny_world import read_card, tiny_world_dir

    out = tmp_path / "parity"
    assert drift("tiny-world", "--out", out, "--task", "parity", "--size", "test", "--quiet") == 0
    card = read_card(out)
    assert (card["task"], card["config"]) == ("parity", TinyWorldConfig.for_size("test", task="parity").model_dump(
        mode="json"))
    assert (card["config"]["slip_rate"], card["config"]["fix_rate"]) == (0.3, 0.9)  # its preset
    assert card["protocol"] == {"instruction": INSTRUCTION, "verifier": "parity", "think": False}
    assert ASKED  # the card was measured with the world's own verifier
    readme = (out / "README.md").read_text()
    assert "tiny world `parity`" in readme and PARITY.card_text in readme and "parity reference policy" in card[
        "description"]
    rows = [json.loads(line) for line in (out / "prompts" / "test.jsonl").open()]
    assert rows and all(r["prompt_id"].startswith("parity-") and r["gold"] in ("even", "odd") for r in rows)
    assert all(r["question"].startswith("Is ") and r["hidden_options"] is None for r in rows)
    tok = json.loads((out / "tokenizer.json").read_text())
    assert {"Is ", " even or odd?"} <= {t["content"] for t in tok["added_tokens"]}  # its pieces: one token each

    # In a workspace: its source name loads its splits under its protocol; tiny_world.task picks it.
    ws = Workspace(tmp_path / "ws")
    shutil.copytree(out, tiny_world_dir(ws.root, "parity"))  # built: never rebuilt here
    assert tiny_world_dir(ws.root, "parity").name == "tiny_world_parity"
    cfg = load_config(None, ["tiny_world.task=parity"])
    assert (cfg.prompts.source, cfg.eval_prompts.source, cfg.rollout.model) == ("tiny-world-parity",) * 3
    ps = load_prompt_set(prompts_from_spec(cfg.eval_prompts, "tiny-world-parity:validation"), ws.root)
    assert ps.label == "tiny-world-parity-validation" and len(ps.rows) == card["splits"]["validation"]
    protocol = ps.protocol(ProtocolConfig())
    assert (protocol.instruction, protocol.verifier) == (INSTRUCTION, "parity")
    assert load_prompt_set(PromptsConfig(source="tiny-world-parity", split="test"), ws.root).rows[0]["question"] == (
        rows[0]["question"])
    assert reference_model(ws, cfg.rollout).path == "tiny_world_parity"

    from cli.commands.compare_cmd import world_items

    assert world_items("parity", ["a.b=1"]) == ["tiny_world.task=parity", "a.b=1"]  # no table of its own


def test_a_registered_world_is_accepted_and_then_refused(parity):
    assert world_of_source("tiny-world-parity") is parity
    assert TinyWorldConfig(task="parity").task == "parity"
    assert PromptsConfig(source="tiny-world-parity").source == "tiny-world-parity"
    assert TinyWorldConfig.for_size("default", task="parity").slip_rate == 0.3
    # Hidden-option items: only a world with them (its entry's `hidden`) takes a share.
    with pytest.raises(ValueError, match="hidden_share=0.1: the parity world has no hidden-option items.*'choice'"):
        TinyWorldConfig.for_size("test", task="parity", hidden_share=0.1)
    WORLDS.unregister("parity")
    with pytest.raises(ValueError, match=r"unknown tiny world 'parity' \(choose one of arithmetic, choice\)"):
        TinyWorldConfig(task="parity")
    with pytest.raises(ValueError, match="unknown prompts.source 'tiny-world-parity'"):
        PromptsConfig(source="tiny-world-parity")
    with pytest.raises(DriftError, match="'tiny-world-parity' names no tiny world"):
        world_of_source("tiny-world-parity")
    WORLDS.register(parity)  # for the fixture to remove


def test_a_taken_name_is_an_error():
    with pytest.raises(DriftError, match="tiny world 'choice' is already registered"):
        WORLDS.register(dataclasses.replace(PARITY, name="choice"))


def test_cli_help_names_every_world(capsys):
    assert drift("tiny-world", "--help") == 0
    text = " ".join(capsys.readouterr().out.split())
    for w in WORLDS:
        assert w.name in text and " ".join(w.help.split())[:20] in text
