"""The tiny world: a self-built, imperfect reference policy plus prompt splits (docs/design.md §2, §7).

`build` trains a tokenizer and a small LlamaForCausalLM from scratch on synthetic dialogues in the
episode protocol's format, writes held-out prompt splits (train, validation, test), and measures the
result with the project's own episode loop (card.json + README.md). The worlds (`task`: arithmetic, answer
the number; choice, four labelled options, answer the letter) are entries of drift_core/worlds: this
machinery asks the entry for what differs (items, dialogues, protocol, tokens, card). Every stage defaults
to the default world via `ensure_tiny_world` (`tiny_world.task` picks another).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.prompts import arithmetic
from drift_core.worlds import DEFAULT, WORLDS, world_of_source

CARD_VERSION = 3  # 2: three splits (validation added), two worlds (task); 3: hidden-option items, hidden_options
SIZE_ENV = "DRIFT_TINY_WORLD_SIZE"  # size ensure_tiny_world builds (default: 'default'; tests: 'test')
# hidden_options: the number of options of a hidden-option item (choice world), None for every other item.
SPLIT_FIELDS = ("prompt_id", "question", "gold", "difficulty", "hidden_options")
SPLITS = ("train", "validation", "test")


def task_of(name: str | None) -> str:
    """The world a prompt source or model name means ('tiny-world-choice' -> choice; None: the default)."""
    return DEFAULT if name is None else world_of_source(name).name


def tiny_world_dir(workspace_root: str | Path, task: str = DEFAULT) -> Path:
    return Path(workspace_root).expanduser().resolve() / WORLDS.get(task).dir_name


def problem_id(prompt_id: str) -> str:
    """The arithmetic problem behind a split's prompt id: every world's item id is '<prefix>-<problem>'
    ('choice-47+5' -> 'arith-47+5'; an arithmetic id is itself)."""
    _, sep, rest = prompt_id.partition("-")
    return "arith-" + rest if sep else prompt_id


def make_splits(cfg: TinyWorldConfig) -> dict[str, list[dict]]:
    """test, train and validation prompts: distinct problems drawn per level in proportion to
    `split_levels`, in that order (validation is drawn last, so test and train are those of the two-split
    worlds: the same problems, ids and order). Every row has hidden_options (None for a known item).

    The world's entry turns each problem into an item (make_item; the choice world: a four-option item). A
    world with hidden-option items (the choice world) makes `hidden_share` of each split (rounded) hidden
    ones: the known items are the split's first (1 - share) items of share 0, in their order, and the
    hidden ones (the entry's hidden.items, test's first, then train's, then validation's) go to seeded
    positions among them (_interleave)."""
    world = WORLDS.get(cfg.task)
    problems = _split_problems(cfg)
    items = {name: [world.make_item(p) for p in rows] for name, rows in problems.items()}
    if world.hidden is None or not cfg.hidden_share:
        return items
    counts = {name: round(len(items[name]) * cfg.hidden_share) for name in _DRAW_ORDER}
    hidden = world.hidden.items(cfg.seed)
    if sum(counts.values()) > len(hidden) // 2:
        raise ValueError(f"hidden_share {cfg.hidden_share} asks for {sum(counts.values())} hidden-option items; "
                         f"at most {len(hidden) // 2} (the rest are pre-training's)")
    splits: dict[str, list[dict]] = {}
    start = 0
    for name in _DRAW_ORDER:
        known = items[name][: len(items[name]) - counts[name]]
        splits[name] = _interleave(known, hidden[start : start + counts[name]], f"{cfg.seed}:{name}")
        start += counts[name]
    return {name: splits[name] for name in items}


_DRAW_ORDER = ("test", "train", "validation")  # the order the splits' problems are drawn in


def _interleave(known: list[dict], hidden: list[dict], seed: str) -> list[dict]:
    """`known` in its order with `hidden` (in its order) at positions drawn by a seeded RNG."""
    n = len(known) + len(hidden)
    at = set(random.Random(f"drift-hidden-positions:{seed}").sample(range(n), len(hidden)))
    k, h = iter(known), iter(hidden)
    return [next(h) if i in at else next(k) for i in range(n)]


def pretrain_hidden_items(cfg: TinyWorldConfig, splits: dict[str, list[dict]]) -> list[dict]:
    """The hidden-option items pre-training draws from: every one in no prompt split (neither its id nor
    its question text is a split's); none when `hidden_pretrain_share` is 0 (the arithmetic world) or the
    world has none."""
    world = WORLDS.get(cfg.task)
    if world.hidden is None or not cfg.hidden_pretrain_share:
        return []
    ids = {r["prompt_id"] for rows in splits.values() for r in rows}
    questions = {r["question"] for rows in splits.values() for r in rows}
    return [it for it in world.hidden.items(cfg.seed)
            if it["prompt_id"] not in ids and it["question"] not in questions]


def _split_problems(cfg: TinyWorldConfig) -> dict[str, list[dict]]:
    total = sum(cfg.split_levels.values())
    seen: set[str] = set()
    splits: dict[str, list[dict]] = {}
    counts = tuple(zip(_DRAW_ORDER, (cfg.test_count, cfg.train_count, cfg.validation_count), strict=True))
    for i, (name, count) in enumerate(counts):
        rows: list[dict] = []
        levels = sorted(cfg.split_levels)
        for j, lv in enumerate(levels):
            k = round(count * cfg.split_levels[lv] / total) if j < len(levels) - 1 else count - len(rows)
            got = arithmetic.generate(k, [lv], seed=cfg.seed * 1000 + 10 * i + lv, exclude=seen)
            seen |= {p["prompt_id"] for p in got}
            rows += got
        random.Random(cfg.seed + i).shuffle(rows)
        splits[name] = rows
    return splits


def pretrain_pools(cfg: TinyWorldConfig, held_out: set[str]) -> dict[int, list[dict]]:
    """level -> every problem of the level that is in no prompt split (`held_out`: split prompt ids)."""
    held = {problem_id(i) for i in held_out}
    levels = set(cfg.level_weights) | set(cfg.clean_levels)
    return {lv: [p for p in arithmetic.all_problems(lv) if p["prompt_id"] not in held] for lv in levels}


def build(out: str | Path, seed: int = 0, size: str = "default", progress: bool = True,
          task: str = DEFAULT, **overrides) -> Path:
    """Build the tiny world `task` into `out` (tokenizer, model, prompts/, card.json, README.md); returns `out`.

    Deterministic for (task, seed, size) on a given machine. `overrides` set TinyWorldConfig fields.
    """
    import torch

    from drift_core.tiny_world.card import measure, write_card
    from drift_core.tiny_world.dialogues import world_protocol
    from drift_core.tiny_world.pretrain import build_model, pretrain
    from drift_core.tiny_world.tokenizer import build_tokenizer, protocol_pieces

    t0, cpu0 = time.perf_counter(), time.process_time()
    cfg = TinyWorldConfig.for_size(size, seed=seed, task=task, **overrides)
    world = WORLDS.get(cfg.task)
    protocol = world_protocol(cfg.task)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "card.json").unlink(missing_ok=True)  # the card marks a finished build

    splits = make_splits(cfg)
    held_out = {p["prompt_id"] for rows in splits.values() for p in rows}
    pools = pretrain_pools(cfg, held_out)
    hidden = pretrain_hidden_items(cfg, splits)
    questions = [world.make_item(p)["question"] for lv in sorted(pools) for p in pools[lv][:200]]
    questions += [it["question"] for it in hidden[:200]]
    corpus = questions + protocol_pieces(protocol)
    extra = (*world.pieces, *(world.hidden.pieces if hidden else ()))  # hidden: only a world with them has any
    tokenizer = build_tokenizer(corpus, protocol=protocol, extra_pieces=extra)

    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        model = build_model(cfg, tokenizer)
        t1 = time.perf_counter()
        losses = pretrain(model, tokenizer, pools, cfg, progress=progress, hidden=hidden)
        train_s = time.perf_counter() - t1
        model.save_pretrained(out, safe_serialization=True)
        tokenizer.save_pretrained(out)
        _write_splits(out, splits)
        t2 = time.perf_counter()
        metrics = measure(out, splits, cfg, protocol, progress=progress)
        card_s = time.perf_counter() - t2
    finally:
        torch.set_num_threads(threads)

    what = world.hidden.what if world.hidden is not None and cfg.hidden_share else world.what
    card = {
        "kind": "drift-tiny-world",
        "description": f"DRIFT's self-built, deliberately imperfect {what} reference policy (drift tiny-world)",
        "version": CARD_VERSION,
        "task": cfg.task,
        "size": size,
        "seed": seed,
        "protocol": {"instruction": protocol.instruction, "verifier": protocol.verifier, "think": protocol.think},
        "model": {
            "architecture": type(model).__name__,
            "parameters": sum(p.numel() for p in model.parameters()),
            "hidden_size": cfg.hidden_size,
            "num_layers": cfg.num_layers,
            "num_heads": cfg.num_heads,
            "vocab_size": len(tokenizer),
        },
        "pretrain": {
            "steps": cfg.steps,
            "batch_size": cfg.batch_size,
            "seconds": round(train_s, 1),
            "threads": cfg.threads,
            "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4),
            "problems_per_level": {str(lv): len(ps) for lv, ps in sorted(pools.items())},
            "hidden_items": len(hidden),
        },
        "splits": {name: len(splits[name]) for name in SPLITS},
        "hidden_items": {name: sum(r["hidden_options"] is not None for r in splits[name]) for name in SPLITS},
        "levels": {str(lv): arithmetic.describe(lv) for lv in sorted(arithmetic.LEVELS)},
        "groups": world.group_labels(),
        "metrics": metrics,
        "card_seconds": round(card_s, 1),
        "build_seconds": round(time.perf_counter() - t0, 1),
        # CPU seconds of this process: wall time minus waiting, telling a loaded machine from a slow build.
        "build_cpu_seconds": round(time.process_time() - cpu0, 1),
        "config": cfg.model_dump(mode="json"),
    }
    write_card(out, card)
    return out


def _write_splits(out: Path, splits: dict[str, list[dict]]) -> None:
    (out / "prompts").mkdir(exist_ok=True)
    for name, rows in splits.items():
        with (out / "prompts" / f"{name}.jsonl").open("w") as f:
            for p in rows:
                f.write(json.dumps({k: p[k] for k in SPLIT_FIELDS}) + "\n")


def read_card(model_dir: str | Path) -> dict | None:
    """The tiny world's card, or None when `model_dir` holds no finished, current build."""
    path = Path(model_dir) / "card.json"
    if not path.exists():
        return None
    try:
        card = json.loads(path.read_text())
    except json.JSONDecodeError:
        return None
    return card if card.get("version") == CARD_VERSION else None


def shipped_world(task: str) -> Path | None:
    """The shipped world of `task` (worlds/<task>: default size, seed 0; docs/tiny-world.md), or None
    when there is none (a world registered elsewhere ships none) or it is not what `build` makes now
    (another card version or config)."""
    from drift_core.resources import worlds_dir

    d = worlds_dir() / WORLDS.get(task).name
    card = read_card(d)
    if card is None:
        return None
    current = TinyWorldConfig.for_size("default", seed=0, task=task).model_dump(mode="json")
    return d if card.get("config") == current else None


def ensure_tiny_world(workspace_root: str | Path, size: str | None = None, task: str = DEFAULT) -> Path:
    """The workspace's tiny world `task` (its model directory: <workspace>/<its entry's dir_name>, e.g.
    tiny_world, tiny_world_choice), made on first use and reused after.

    `size` defaults to $DRIFT_TINY_WORLD_SIZE, else 'default'. The default size is copied, byte for byte,
    from the shipped world (worlds/<task>), so every machine starts from the same reference: a build's
    weights depend on the machine's floating point (docs/tiny-world.md). Other sizes, or a shipped world
    that no longer matches the code, are built (a few minutes on a CPU at the default size, once).
    """
    d = tiny_world_dir(workspace_root, task)
    if read_card(d) is not None:
        return d
    size = size or os.environ.get(SIZE_ENV, "default")
    shipped = shipped_world(task) if size == "default" else None
    # Make it beside the target and rename into place, so a killed build or a concurrent one never
    # leaves a half world behind: the first finished one wins, the other is discarded.
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}-", dir=d.parent))
    try:
        if shipped is not None:
            shutil.copytree(shipped, tmp, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            build(tmp, size=size, task=task)
        if d.exists() and read_card(d) is None:
            shutil.rmtree(d)  # an unfinished or outdated world
        with contextlib.suppress(OSError):  # another process finished first: keep its world
            tmp.rename(d)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return d


def prompts_file(workspace_root: str | Path, split: str, task: str = DEFAULT) -> Path:
    """The tiny world's prompt split file (train, validation or test), building the world if needed."""
    if split not in SPLITS:
        from drift_core.errors import DriftError

        raise DriftError(f"the tiny world has no '{split}' split (choose {', '.join(SPLITS)})")
    d = ensure_tiny_world(workspace_root, task=task)
    path = d / "prompts" / f"{split}.jsonl"
    if not path.exists():
        from drift_core.errors import DriftError

        raise DriftError(f"the tiny world has no '{split}' split (choose {', '.join(SPLITS)}): {path}")
    return path
