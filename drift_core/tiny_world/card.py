"""The tiny world's card: figures measured on the test split with the project's own episode loop.

Greedy and sampled (T=1) episodes run through drift_core.multiturn.run_episodes on the hf engine, so
the figures mean what rollout and eval mean by them; the all-fail share samples n trajectories per
train prompt, as a rollout does. With hidden-option items (choice world) the card also holds the split's
elimination optimum per k and the elimination figure (`elimination`: one definition, also in SQL).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import Episode
from drift_core.worlds import DEFAULT, WORLDS


def episode_metrics(episodes: list[Episode], max_turns: int) -> dict[str, float]:
    """multi@k (solved within k turns), malformed share of turns, repeated share of answers after feedback."""
    n = max(len(episodes), 1)
    out = {
        f"multi@{k}": sum(e.t_star is not None and e.t_star <= k for e in episodes) / n
        for k in range(1, max_turns + 1)
    }
    turns = [t for e in episodes for t in e.turns]
    out["malformed_share"] = sum(not t.format_ok for t in turns) / max(len(turns), 1)
    repeated = later = 0
    for e in episodes:
        seen: set[str] = set()
        for t in e.turns:
            if t.format_ok:
                if t.turn > 1:
                    later += 1
                    repeated += t.answer_norm in seen
                seen.add(t.answer_norm)
    out["repeated_after_feedback_share"] = repeated / max(later, 1)
    out["mean_turns"] = len(turns) / n
    return out


def elimination(episodes: list[Episode]) -> float | None:
    """Elimination: the share of well-formed answers after 'Incorrect' that pick an option not rejected
    earlier in the episode; 1.0 is optimal (a rejected option is never picked again).

    Exactly: over every turn with turn >= 2 and format_ok (a parsed answer), count it as new when its
    answer_norm (the normalised answer) differs from the answer_norm of every earlier turn of the same
    episode that is format_ok and not correct (the rejected options; a malformed turn rejects nothing).
    elimination = new / all such turns; None when there is no such turn. Options are told apart by their
    normalised answer text, as repeated_after_feedback_share does ('B' and 'b' are one option)."""
    new = later = 0
    for e in episodes:
        rejected: set[str] = set()
        for t in e.turns:
            if not t.format_ok:
                continue
            if t.turn >= 2:
                later += 1
                new += t.answer_norm not in rejected
            if not t.correct:
                rejected.add(t.answer_norm)
    return new / later if later else None


def elimination_optimum(rows: list[dict], max_turns: int) -> dict[str, float]:
    """multi@k of the elimination optimum on `rows` (split rows): a known item (hidden_options None) solved
    at turn 1 (1.0), a hidden-option item of n options by a policy that never repeats a rejected option,
    min(1, k/n) in expectation; the mean over the rows, per k."""
    n = max(len(rows), 1)
    return {
        f"multi@{k}": sum(1.0 if r.get("hidden_options") is None else min(1.0, k / r["hidden_options"])
                          for r in rows) / n
        for k in range(1, max_turns + 1)
    }


def _group(row: dict) -> str:
    return str(row.get("kind", row["difficulty"]))


def measure(model_dir: Path, splits: dict[str, list[dict]], cfg, protocol: ProtocolConfig | None = None,
            progress: bool = True) -> dict:
    """Greedy and T=1 figures on the test split, per group (level or kind) too, with the elimination
    optimum per k and the elimination figure on hidden-option items (None without any); optionally the T=1
    all-fail share on the first `card_all_fail_prompts` of `card_all_fail_split`."""
    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem, TokenRate, run_episodes

    protocol = protocol or ProtocolConfig()
    order = _group_order(list(WORLDS.get(cfg.task).group_labels()))
    engine = HFEngine(str(model_dir), device="cpu", batch_size=512)
    test_rows = splits["test"]
    problems = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in test_rows]
    level_of = {r["prompt_id"]: _group(r) for r in test_rows}
    hidden_ids = {r["prompt_id"] for r in test_rows if r.get("hidden_options") is not None}
    optimum = {k: round(v, 4) for k, v in elimination_optimum(test_rows, protocol.max_turns).items()}
    card: dict = {}
    try:
        for name, temp in (("greedy", 0.0), ("sampled_t1", 1.0)):
            bar = TokenRate(len(problems), f"card {name}", enabled=progress)
            eps = run_episodes(
                engine, engine.tokenizer, problems, protocol, n=1, temperature=temp, top_p=1.0,
                max_new_tokens=cfg.card_max_new_tokens, seed=cfg.seed, progress=bar,
            )
            bar.close()
            card[name] = episode_metrics(eps, protocol.max_turns)
            card[name]["elimination_optimum"] = optimum
            card[name]["elimination"] = _round(elimination([e for e in eps if e.prompt_id in hidden_ids]))
            by_level: dict[int, list[Episode]] = defaultdict(list)
            for e in eps:
                by_level[level_of[e.prompt_id]].append(e)
            card[name]["by_level"] = {
                lv: {k: round(v, 4) for k, v in episode_metrics(es, protocol.max_turns).items()
                     if k.startswith("multi@") or k == "repeated_after_feedback_share"}
                | {"elimination": _round(elimination(es)), "problems": len(es)}
                for lv, es in sorted(by_level.items(), key=lambda kv: order(kv[0]))
            }
        if cfg.card_all_fail_n:
            rows = splits[cfg.card_all_fail_split][: cfg.card_all_fail_prompts]
            sub = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in rows]
            bar = TokenRate(len(sub) * cfg.card_all_fail_n, "card all-fail", enabled=progress)
            eps = run_episodes(
                engine, engine.tokenizer, sub, protocol, n=cfg.card_all_fail_n, temperature=1.0, top_p=1.0,
                max_new_tokens=cfg.card_max_new_tokens, seed=cfg.seed + 7, progress=bar,
            )
            bar.close()
            solved: dict[str, bool] = defaultdict(bool)
            for e in eps:
                solved[e.prompt_id] |= e.t_star is not None
            card["sampled_t1"]["all_fail_share"] = sum(not s for s in solved.values()) / len(solved)
            card["sampled_t1"]["all_fail_n"] = cfg.card_all_fail_n
            card["sampled_t1"]["all_fail_split"] = cfg.card_all_fail_split
            card["sampled_t1"]["all_fail_prompts"] = len(solved)
            group_of = {r["prompt_id"]: _group(r) for r in rows}
            fails: dict[str, list[bool]] = defaultdict(list)
            for pid, s in solved.items():
                fails[group_of[pid]].append(not s)
            card["sampled_t1"]["all_fail_by_level"] = {
                g: round(sum(f) / len(f), 4) for g, f in sorted(fails.items(), key=lambda kv: order(kv[0]))
            }
    finally:
        engine.close()
    return card


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _group_order(labels: list[str]):
    """Sort key of a group: the world's group_labels order (levels ascending, the choice world's kinds),
    then levels the world does not describe (ascending), then any other label."""
    return lambda label: ((0, labels.index(label), "") if label in labels
                          else (1, int(label), "") if label.isdigit() else (2, 0, label))


def write_card(out: Path, card: dict) -> None:
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    (out / "README.md").write_text(model_card_markdown(card))


def model_card_markdown(card: dict) -> str:
    g, s = card["metrics"]["greedy"], card["metrics"]["sampled_t1"]
    m = card["model"]
    k_max = max(int(k.split("@")[1]) for k in g if k.startswith("multi@"))
    rows = [(f"multi@{k}", g[f"multi@{k}"], s[f"multi@{k}"]) for k in range(1, k_max + 1)] + [
        ("malformed share of turns", g["malformed_share"], s["malformed_share"]),
        ("repeated answers after feedback", g["repeated_after_feedback_share"], s["repeated_after_feedback_share"]),
        ("mean turns", g["mean_turns"], s["mean_turns"]),
    ]
    hidden = card.get("hidden_items", {}).get("test", 0)
    if hidden:
        rows.append(("elimination, hidden-option items (1.0: never repeats a rejected option)",
                     g.get("elimination"), s.get("elimination")))
    table = "\n".join(f"| {name} | {_fmt(a)} | {_fmt(b)} |" for name, a, b in rows)
    optimum = ""
    if hidden and "elimination_optimum" in g:
        opt = " / ".join(f"{g['elimination_optimum'][f'multi@{k}']:.3f}" for k in range(1, k_max + 1))
        optimum = (f"\nElimination optimum on this split (known items right at turn 1, each of the {hidden} "
                   f"hidden-option items within k turns with chance min(1, k/4)): multi@1..{k_max} {opt}.\n")
    world = WORLDS.get(card.get("task", DEFAULT))
    elim = world.hidden is not None  # a world with hidden-option items: an elimination column per group
    labels = card.get("groups") or card["levels"]
    elim_head, elim_rule = (" elimination |", "---|") if elim else ("", "")
    levels = "\n".join(
        f"| {lv} | {labels.get(lv, '')} | {v['problems']} | {v['multi@1']:.3f} | {v[f'multi@{k_max}']:.3f} | "
        f"{v.get('repeated_after_feedback_share', 0.0):.3f} | "
        + (f"{_fmt(v.get('elimination'))} | " if elim else "")
        + f"{s.get('all_fail_by_level', {}).get(lv, float('nan')):.3f} |"
        for lv, v in g["by_level"].items()
    )
    all_fail = (
        f"\nSampled all-fail share (no success in {s['all_fail_n']} T=1 trajectories, "
        f"{s.get('all_fail_prompts', card['config']['card_all_fail_prompts'])} "
        f"{s.get('all_fail_split', 'test')} prompts): {s['all_fail_share']:.3f}.\n"
        if "all_fail_share" in s else ""
    )
    splits = card["splits"]
    what = world.card_text + (world.hidden.card_text if hidden and world.hidden is not None else "")
    group = world.group_word
    return f"""---
library_name: transformers
tags: [drift, tiny-world, synthetic, {world.card_tag}]
---
# DRIFT tiny world `{world.name}` (size `{card['size']}`, seed {card['seed']})

A deliberately imperfect reference policy built from scratch by `drift tiny-world` so that every DRIFT
stage means something on a CPU. It is **not** a useful model. {what}

- Architecture: `{m['architecture']}` (standard transformers class, safetensors, no custom code),
  {m['parameters']:,} parameters, hidden {m['hidden_size']}, {m['num_layers']} layers, {m['num_heads']} heads,
  vocabulary {m['vocab_size']} (byte-level BPE; digits and protocol strings are single tokens).
- Pre-training: {card['pretrain']['steps']} steps x {card['pretrain']['batch_size']} synthetic dialogues,
  loss on assistant tokens, {card['pretrain']['seconds']:.0f} s on {card['pretrain']['threads']} CPU thread(s),
  final loss {card['pretrain']['final_loss']:.3f}. Card {card.get('card_seconds', 0):.0f} s. Build total
  {card['build_seconds']:.0f} s wall, {card['build_cpu_seconds']:.0f} s CPU.
- Prompt splits: `prompts/train.jsonl` ({splits['train']} prompts), `prompts/validation.jsonl`
  ({splits.get('validation', 0)}) and `prompts/test.jsonl` ({splits['test']}), disjoint from each other and
  from every pre-training problem.

## Measured on the test split ({splits['test']} problems, episode protocol, max {k_max} turns)

| metric | greedy | sampled (T=1) |
|---|---|---|
{table}
{optimum}{all_fail}
Per {group} (greedy; all-fail: sampled, on the all-fail prompts):

| {group} | problem | count | multi@1 | multi@{k_max} | repeated after feedback |{elim_head} all-fail |
|---|---|---|---|---|---|{elim_rule}---|
{levels}

Measured with `drift_core.multiturn.run_episodes` on the hf engine, the loop rollout and eval use.
"""


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
