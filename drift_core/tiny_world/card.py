"""The tiny world's card: figures measured on the test split with the project's own episode loop.

Greedy and sampled (T=1) episodes run through drift_core.multiturn.run_episodes on the hf engine, so
the figures mean what rollout and eval mean by them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import Episode


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


def measure(model_dir: Path, test_rows: list[dict], cfg, progress: bool = True) -> dict:
    """Greedy and T=1 figures on `test_rows`, per level too; optionally the T=1 all-fail share."""
    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem, TokenRate, run_episodes

    protocol = ProtocolConfig()
    engine = HFEngine(str(model_dir), device="cpu", batch_size=512)
    problems = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in test_rows]
    level_of = {r["prompt_id"]: r["difficulty"] for r in test_rows}
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
            by_level: dict[int, list[Episode]] = defaultdict(list)
            for e in eps:
                by_level[level_of[e.prompt_id]].append(e)
            card[name]["by_level"] = {
                str(lv): {k: round(v, 4) for k, v in episode_metrics(es, protocol.max_turns).items()
                          if k in ("multi@1", f"multi@{protocol.max_turns}")} | {"problems": len(es)}
                for lv, es in sorted(by_level.items())
            }
        if cfg.card_all_fail_n:
            sub = problems[: cfg.card_all_fail_prompts]
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
    finally:
        engine.close()
    return card


def write_card(out: Path, card: dict) -> None:
    (out / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    (out / "README.md").write_text(model_card_markdown(card))


def model_card_markdown(card: dict) -> str:
    g, s = card["metrics"]["greedy"], card["metrics"]["sampled_t1"]
    m = card["model"]
    rows = [
        ("multi@1", g["multi@1"], s["multi@1"]),
        ("multi@5", g["multi@5"], s["multi@5"]),
        ("malformed share of turns", g["malformed_share"], s["malformed_share"]),
        ("repeated answers after feedback", g["repeated_after_feedback_share"], s["repeated_after_feedback_share"]),
        ("mean turns", g["mean_turns"], s["mean_turns"]),
    ]
    table = "\n".join(f"| {name} | {a:.3f} | {b:.3f} |" for name, a, b in rows)
    levels = "\n".join(
        f"| {lv} | {card['levels'].get(lv, '')} | {v['problems']} | {v['multi@1']:.3f} | {v['multi@5']:.3f} |"
        for lv, v in g["by_level"].items()
    )
    all_fail = (
        f"\nSampled all-fail share (no success in {s['all_fail_n']} T=1 trajectories, "
        f"first {card['config']['card_all_fail_prompts']} test prompts): {s['all_fail_share']:.3f}.\n"
        if "all_fail_share" in s else ""
    )
    return f"""---
library_name: transformers
tags: [drift, tiny-world, synthetic, arithmetic]
---
# DRIFT tiny world (size `{card['size']}`, seed {card['seed']})

A deliberately imperfect reference policy built from scratch by `drift tiny-world` so that every DRIFT
stage means something on a CPU. It is **not** a useful model: it answers integer arithmetic questions
in the DRIFT episode protocol (`<answer>` format, `Incorrect. Please think again.` feedback) and was
pre-trained to be wrong in controlled ways: at turn 1 it drops the carry or borrow of the ones column
(47 + 5 -> 42), which it usually fixes after feedback; it drops the sign of a negative difference
(22 - 57 -> 35) and then tends to repeat that answer; it sometimes slips to a near miss, repeats a wrong
answer, or omits `</answer>` (mostly on turn-1 answers ending in 0).

- Architecture: `{m['architecture']}` (standard transformers class, safetensors, no custom code),
  {m['parameters']:,} parameters, hidden {m['hidden_size']}, {m['num_layers']} layers, {m['num_heads']} heads,
  vocabulary {m['vocab_size']} (byte-level BPE; digits and protocol strings are single tokens).
- Pre-training: {card['pretrain']['steps']} steps x {card['pretrain']['batch_size']} synthetic dialogues,
  loss on assistant tokens, {card['pretrain']['seconds']:.0f} s on {card['pretrain']['threads']} CPU thread(s),
  final loss {card['pretrain']['final_loss']:.3f}. Build total {card['build_seconds']:.0f} s wall,
  {card['build_cpu_seconds']:.0f} s CPU.
- Prompt splits: `prompts/train.jsonl` ({card['splits']['train']} prompts) and `prompts/test.jsonl`
  ({card['splits']['test']}), disjoint from each other and from every pre-training problem.

## Measured on the test split ({card['splits']['test']} problems, episode protocol, max 5 turns)

| metric | greedy | sampled (T=1) |
|---|---|---|
{table}
{all_fail}
Per level (greedy):

| level | problem | count | multi@1 | multi@5 |
|---|---|---|---|---|
{levels}

Measured with `drift_core.multiturn.run_episodes` on the hf engine, the loop rollout and eval use.
"""
