"""The shipped tiny worlds (worlds/<task>, docs/tiny-world.md): current, used as they are, and measured
as their cards say."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.resources import worlds_dir
from drift_core.tiny_world import (
    CARD_VERSION,
    SIZE_ENV,
    SPLIT_FIELDS,
    SPLITS,
    ensure_tiny_world,
    make_splits,
    read_card,
    shipped_world,
)
from drift_core.worlds import DEFAULT, WORLDS

TASKS = WORLDS.names()  # the stock worlds, each shipped (a world registered by a test ships none)


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _splits(world: Path) -> dict[str, list[dict]]:
    return {s: [json.loads(line) for line in (world / "prompts" / f"{s}.jsonl").open()] for s in SPLITS}


@pytest.mark.parametrize("task", TASKS)
def test_shipped_world_is_current(task):
    # A change to the world's code or settings without rebuilding worlds/ (`make worlds`) fails here,
    # instead of every machine silently rebuilding a world of its own.
    world = worlds_dir() / task
    card = read_card(world)
    assert card is not None, f"{world}: no card of version {CARD_VERSION}; rebuild with `make worlds`"
    assert (card["task"], card["size"], card["seed"]) == (task, "default", 0)
    assert card["config"] == TinyWorldConfig.for_size("default", seed=0, task=task).model_dump(mode="json")
    assert shipped_world(task) == world
    # Its prompt splits are the ones the code draws for seed 0, row for row.
    cfg = TinyWorldConfig.for_size("default", seed=0, task=task)
    want = {s: [{k: r[k] for k in SPLIT_FIELDS} for r in rows] for s, rows in make_splits(cfg).items()}
    assert _splits(world) == want
    assert {s: len(rows) for s, rows in want.items()} == card["splits"]


@pytest.mark.parametrize("task", TASKS)
def test_default_size_copies_the_shipped_world_byte_for_byte(tmp_path, monkeypatch, task):
    monkeypatch.delenv(SIZE_ENV, raising=False)
    got = ensure_tiny_world(tmp_path / "ws", task=task)
    assert _digests(got) == _digests(worlds_dir() / task)
    assert not [p for p in (tmp_path / "ws").iterdir() if p.name.startswith(".")], "temporary copy left behind"


def test_a_stale_shipped_world_is_not_used(tmp_path, monkeypatch):
    # A shipped world whose config is not the code's is ignored (shipped_world -> None), never copied.
    import drift_core.resources as resources

    stale = tmp_path / "worlds" / DEFAULT
    stale.mkdir(parents=True)
    card = json.loads((worlds_dir() / DEFAULT / "card.json").read_text())
    card["config"]["steps"] += 1
    (stale / "card.json").write_text(json.dumps(card))
    resources.worlds_dir.cache_clear()
    monkeypatch.setattr(resources, "worlds_dir", lambda: tmp_path / "worlds")
    assert shipped_world(DEFAULT) is None
    card["config"]["steps"] -= 1
    (stale / "card.json").write_text(json.dumps(card))
    assert shipped_world(DEFAULT) == stale


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS)
def test_shipped_card_matches_a_fresh_evaluation(task):
    # The card's greedy and T=1 figures on the test split, measured again here from the shipped files
    # (the all-fail probe, the slow part, left out).
    from drift_core.tiny_world.card import measure
    from drift_core.tiny_world.dialogues import world_protocol

    world = worlds_dir() / task
    card = read_card(world)
    cfg = TinyWorldConfig.for_size("default", seed=0, task=task).model_copy(update={"card_all_fail_n": 0})
    # The code's splits (equal to the shipped files: test_shipped_world_is_current) carry each item's kind.
    fresh = measure(world, make_splits(cfg), cfg, world_protocol(task), progress=False)
    for decoding in ("greedy", "sampled_t1"):
        want = {k: v for k, v in card["metrics"][decoding].items() if not k.startswith("all_fail")}
        assert json.loads(json.dumps(fresh[decoding])) == want, f"{task} {decoding}"
