"""The results page's text: the tables per decoding, the share of the optimum, the settings chosen on
validation, the computed reading and the page around them (docs/compare.md, "Outputs")."""

from __future__ import annotations

from drift_core.compare.arms import reading_arm_names
from drift_core.compare.selection import Selection
from drift_core.compare.summary import EXTRA_COLUMNS, Summary

HEADINGS = {"elimination": "elimination", **dict(EXTRA_COLUMNS)}
OPTIMUM_ROW = "optimum (elimination)"  # the ceiling's row in the tables, on sets with hidden-option items


def selection_markdown(selections: list[Selection]) -> list[str]:
    """The section that says what was chosen for each arm, and on what (validation, seed, figure)."""
    if not selections:
        return []
    grid = list(selections[0].scores)
    metric = selections[0].metric
    n = max(s.validation_problems for s in selections)
    lines = ["## Settings chosen on validation", "",
             f"Each trained arm's learning rate is the grid value with the best greedy validation {metric} "
             f"({n} validation problems, disjoint from the test split; selection seed only). The tables above "
             "are test figures at the chosen values, computed once.", "",
             "| arm | " + " | ".join(f"lr {lr:g}" for lr in grid) + " | chosen |",
             "|---|" + "---:|" * len(grid) + "---:|"]
    for s in selections:
        cells = ["–" if s.scores.get(lr) is None else f"{s.scores[lr]:.3f}" for lr in grid]
        lines.append(f"| {s.arm} | " + " | ".join(cells) + f" | {s.chosen:g} |")
    return lines + [""]


def table_markdown(summary: Summary, decoding: str) -> str:
    """One row per arm: the arm's name, then multi@1..K, correction rate, repeats, train time, tokens."""
    heads = [HEADINGS.get(k, k) for k in summary.columns()]
    lines = ["| arm | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    for arm in summary.arms:
        s = summary.stats.get(arm, {}).get(decoding)
        if not s:
            continue
        cells = [s[k].fmt(0 if k in ("train_seconds", "rollout_tokens") else 3) for k in summary.columns()]
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    optimum = summary.optimum()
    if optimum:  # the ceiling: never pick a rejected option again (docs/design.md §1)
        cells = [f"{v:.3f}" for v in optimum] + ["1.000"] + ["–"] * len(EXTRA_COLUMNS)
        lines.append(f"| {OPTIMUM_ROW} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def optimum_markdown(summary: Summary) -> list[str]:
    """Each arm's multi@k as a share of the optimum's (1.0 = the ceiling), both decodings."""
    optimum = summary.optimum()
    if not optimum:
        return []
    ks = range(1, summary.max_turns + 1)
    lines = ["## Share of the optimum", "",
             "The test set's hidden-option items cannot be solved from their text: the best any policy can do is "
             "to never pick a rejected option again (multi@k = min(1, k/4) on them, 1 on the known items; the "
             f"`{OPTIMUM_ROW}` row above). Each cell is the arm's multi@k divided by the optimum's, mean ± std "
             "over seeds; `elimination` (table above) is the share of answers after feedback on hidden items "
             "that pick an option not rejected before.", ""]
    for dec, name in (("greedy", "greedy"), ("t1", "T=1")):
        rows = [(arm, summary.stats[arm][dec]) for arm in summary.arms if dec in summary.stats.get(arm, {})]
        if not rows:
            continue
        lines += [f"| arm ({name}) | " + " | ".join(f"multi@{k} / optimum" for k in ks) + " |",
                  "|---|" + "---:|" * len(ks)]
        lines += [f"| {arm} | " + " | ".join(s[f"optimum_share@{k}"].fmt() for k in ks) + " |" for arm, s in rows]
        lines.append("")
    return lines


def render_markdown(summary: Summary, *, title: str, command: str, config_yaml: str, about: dict[str, str],
                    facts: dict[str, str], notes: str = "", plot: str | None = None,
                    selections: list[Selection] | None = None) -> str:
    """The results page: what was run (command, config), both tables, the plot, notes."""
    seeds = ", ".join(str(s) for s in summary.seeds)
    parts = [
        f"# {title}", "",
        "Reproduce (from the repository root):", "", "```bash", command, "```", "",
        f"Mean ± sample std over seeds {seeds} ({len(summary.seeds)} seed{'s' if len(summary.seeds) > 1 else ''}: "
        "each trained arm's shuffle order, and the T=1 evaluation's sampling). "
        "`multi@k`: share of test problems solved within k turns; "
        "correction rate: share of the problems failed at turn 1 that a later turn solved; repeated answers: "
        "share of answers after feedback that repeat an earlier answer of the same problem; train time: "
        "wall seconds of the training stage; rollout tokens: tokens the reference generated for the arm's data "
        "(0 for gold answers and for no training).", "",
    ]
    parts += [f"- {k}: {v}" for k, v in facts.items()]
    parts += ["", "## Greedy decoding (the paper's evaluation)", "", table_markdown(summary, "greedy"), ""]
    if any("t1" in s for s in summary.stats.values()):
        parts += ["## Sampled at T=1 (one trajectory per problem)", "", table_markdown(summary, "t1"), ""]
    if plot:
        parts += [f"![multi@k by k]({plot})", ""]
    parts += optimum_markdown(summary)
    parts += selection_markdown(selections or [])
    reading = reading_lines(summary)
    if reading:
        parts += ["## Reading the table (computed, not written by hand)", "", *reading, ""]
    parts += ["## Arms", ""] + [f"- `{a}`: {about[a]}" for a in summary.arms if a in about] + [""]
    if notes:
        parts += ["## Notes", "", notes.strip(), ""]
    parts += ["## Config", "", "```yaml", config_yaml.rstrip(), "```", ""]
    return "\n".join(parts)


def reading_lines(summary: Summary, arms_of_interest: tuple[str, ...] | None = None) -> list[str]:
    """Each DRIFT arm against every other arm on multi@1 and multi@K, called a difference only beyond noise.

    The DRIFT arms: `arms_of_interest`, by default the registry's arms flagged `reading`.

    Noise = the larger of the test set's 95% half-width for a share (Wilson, at the two means'
    average) and twice the larger seed std: a difference below it is reported as within noise.
    """
    from drift_core.stats import wilson_interval

    if arms_of_interest is None:
        arms_of_interest = reading_arm_names()
    n = max((r.get("test_problems") or 0 for r in summary.records), default=0)
    lines = []
    for dec, name in (("greedy", "greedy"), ("t1", "T=1")):
        for key in ("multi@1", f"multi@{summary.max_turns}"):
            have = {a: summary.stats[a][dec][key] for a in summary.arms
                    if dec in summary.stats.get(a, {}) and summary.stats[a][dec][key].mean is not None}
            if not have:
                continue
            best = max(have, key=lambda a: have[a].mean)
            for arm in (a for a in arms_of_interest if a in have):
                s, bits = have[arm], []
                for other, o in have.items():
                    if other == arm:
                        continue
                    diff = s.mean - o.mean
                    p = (s.mean + o.mean) / 2
                    lo, hi = wilson_interval(p * n, n) if n else (0.0, 0.0)
                    noise = max((hi - lo) / 2, 2 * max(s.std or 0.0, o.std or 0.0))
                    verdict = "within noise" if abs(diff) <= noise else ("higher" if diff > 0 else "lower")
                    bits.append(f"{other} {diff:+.3f} ({verdict})")
                lines.append(f"- {name} {key}: `{arm}` {s.mean:.3f} (best: `{best}` {have[best].mean:.3f}); "
                             f"vs " + ", ".join(bits))
    return lines
