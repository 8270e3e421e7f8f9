"""The comparison's files: the results page (Markdown), a PNG of multi@k by k, where arms with rounds ran a PNG
of multi@k by round, where online GRPO ran a PNG of greedy multi@K against generated tokens, and a JSON of every
seed."""

from __future__ import annotations

import json
from pathlib import Path

from drift_core.compare.answer import ONLINE, curve
from drift_core.compare.markdown import render_markdown
from drift_core.compare.selection import Selection
from drift_core.compare.summary import DECODINGS, Summary


def write_results(summary: Summary, out_md: str | Path, *, title: str, command: str, config_yaml: str,
                  about: dict[str, str], facts: dict[str, str], notes: str = "",
                  selections: list[Selection] | None = None, online_beta: float | None = None,
                  extra: dict | None = None) -> list[Path]:
    """The Markdown page, a PNG of multi@k by k (greedy and T=1), one of multi@k by round (arms with rounds:
    <page>_rounds.png) and a JSON of every seed's figures (cost fields and rounds included)."""
    from drift_core.plots import multi_at_k_by_arm

    out_md = Path(out_md)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    png = out_md.with_suffix(".png")
    curves = {dec: {arm: [(s.mean, s.std) for k, s in by_dec[dec].items() if k.startswith("multi@")]
                    for arm, by_dec in summary.stats.items() if dec in by_dec}
              for dec in DECODINGS}
    multi_at_k_by_arm({d: c for d, c in curves.items() if c}, png, title=title, optimum=summary.optimum())
    rounds_png = rounds_plot(summary, out_md.with_name(f"{out_md.stem}_rounds.png"), title)
    tokens_png = tokens_plot(summary, out_md.with_name(f"{out_md.stem}_tokens.png"), title)
    out_md.write_text(render_markdown(summary, title=title, command=command, config_yaml=config_yaml, about=about,
                                      facts=facts, notes=notes, plot=png.name, selections=selections,
                                      rounds_plot=rounds_png.name if rounds_png else None,
                                      tokens_plot=tokens_png.name if tokens_png else None, online_beta=online_beta))
    js = out_md.with_suffix(".json")
    js.write_text(json.dumps({"title": title, "command": command, "facts": facts, "records": summary.records,
                              "summary": summary.flat_metrics(),
                              "optimum": {f"multi@{k}": v for k, v in enumerate(summary.optimum() or [], 1)},
                              "selections": [s.as_dict() for s in selections or []], **(extra or {})},
                             indent=1, default=str))
    return [out_md, png, js] + [p for p in (rounds_png, tokens_png) if p]


def rounds_plot(summary: Summary, out: Path, title: str) -> Path | None:
    """multi@1 and multi@K by round of each arm with rounds (greedy, mean ± std over seeds), the reference arm
    as round 0 when it ran; None when no arm has rounds."""
    from drift_core.plots import multi_at_k_by_round

    stats = summary.round_stats()
    if not stats:
        return None
    ref = summary.stats.get("reference", {}).get("greedy")
    series = {}
    for arm, by_round in stats.items():
        for key in dict.fromkeys(["multi@1", f"multi@{summary.max_turns}"]):
            start = [(0, ref[key].mean, ref[key].std)] if ref else []
            series[f"{arm} {key}"] = start + [(k, s[key].mean, s[key].std) for k, s in by_round.items()]
    return multi_at_k_by_round(series, out, title=f"{title}: multi@k by round (greedy)")


def tokens_plot(summary: Summary, out: Path, title: str) -> Path | None:
    """Greedy multi@K against generated tokens (docs/design.md §10, "The answer"): online GRPO's validation curve
    (mean ± std over seeds per checkpoint) and its final test point, every other arm as a point (test, mean ±
    std), the optimum as a line; None when online-grpo did not run."""
    from drift_core.plots import score_by_tokens

    key = f"multi@{summary.max_turns}"
    if ONLINE not in summary.stats:
        return None
    line = curve(summary.records, key)
    curves = {"online GRPO, validation checkpoints": [(t.mean, s.mean, s.std) for t, s in line]} if line else {}
    points = {}
    for arm in summary.arms:
        s = summary.stats[arm].get("greedy")
        if s:
            name = "online GRPO, final (test)" if arm == ONLINE else f"{arm} (test)"
            points[name] = (s["rollout_tokens"].mean or 0.0, s[key].mean, s[key].std)
    optimum = summary.optimum()
    return score_by_tokens(curves, points, out, ylabel=f"greedy {key}", optimum=optimum[-1] if optimum else None,
                           title=f"{title}: greedy {key} against generated tokens")
