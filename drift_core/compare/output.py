"""The comparison's files: the results page (Markdown), a PNG of multi@k by k, where arms with rounds ran a PNG
of multi@k by round, and a JSON of every seed."""

from __future__ import annotations

import json
from pathlib import Path

from drift_core.compare.markdown import render_markdown
from drift_core.compare.selection import Selection
from drift_core.compare.summary import DECODINGS, Summary


def write_results(summary: Summary, out_md: str | Path, *, title: str, command: str, config_yaml: str,
                  about: dict[str, str], facts: dict[str, str], notes: str = "",
                  selections: list[Selection] | None = None) -> list[Path]:
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
    out_md.write_text(render_markdown(summary, title=title, command=command, config_yaml=config_yaml, about=about,
                                      facts=facts, notes=notes, plot=png.name, selections=selections,
                                      rounds_plot=rounds_png.name if rounds_png else None))
    js = out_md.with_suffix(".json")
    js.write_text(json.dumps({"title": title, "command": command, "facts": facts, "records": summary.records,
                              "summary": summary.flat_metrics(),
                              "optimum": {f"multi@{k}": v for k, v in enumerate(summary.optimum() or [], 1)},
                              "selections": [s.as_dict() for s in selections or []]}, indent=1, default=str))
    return [out_md, png, js] + ([rounds_png] if rounds_png else [])


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
