"""The results page's text: the tables per decoding, the share of the optimum, the settings chosen on
validation, the computed reading and the page around them (docs/compare.md, "Outputs")."""

from __future__ import annotations

from drift_core.compare.answer import answer_markdown, noise_band
from drift_core.compare.arms import reading_arm_names
from drift_core.compare.selection import Selection
from drift_core.compare.summary import COST_COLUMNS, EXTRA_COLUMNS, Summary

HEADINGS = {"elimination": "elimination", **dict(EXTRA_COLUMNS), **dict(COST_COLUMNS)}
WHOLE = ("rollout_tokens", "trained_tokens", "generation_seconds", "train_seconds")  # printed without decimals
OPTIMUM_ROW = "optimum (elimination)"  # the ceiling's row in the tables, on sets with hidden-option items


def selection_markdown(selections: list[Selection]) -> list[str]:
    """The section that says what was chosen for each arm, and on what (validation, seed, figure); an arm with
    its own grid (the online arm's compare.online_lr_grid) shows – for the values it did not try."""
    if not selections:
        return []
    grid = list(dict.fromkeys(lr for s in selections for lr in s.scores))
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


def _digits(key: str) -> int:
    return 0 if key in WHOLE else 2 if key == "peak_rss_gib" else 3


def table_markdown(summary: Summary, decoding: str) -> str:
    """One row per arm: the arm's name, then multi@1..K, (elimination,) correction rate, repeats."""
    heads = [HEADINGS.get(k, k) for k in summary.columns()]
    lines = ["| arm | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(heads)]
    for arm in summary.arms:
        s = summary.stats.get(arm, {}).get(decoding)
        if not s:
            continue
        cells = [s[k].fmt(_digits(k)) for k in summary.columns()]
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    optimum = summary.optimum()
    if optimum:  # the ceiling: never pick a rejected option again (docs/design.md §1)
        cells = [f"{v:.3f}" for v in optimum] + ["1.000"] + ["–"] * len(EXTRA_COLUMNS)
        lines.append(f"| {OPTIMUM_ROW} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cost_markdown(summary: Summary) -> list[str]:
    """The cost of each arm in the same units (drift_core/compare/cost.py): one row per arm."""
    keys = summary.cost_columns()
    lines = ["## Cost", "",
             "Generated tokens: every token sampled for the arm (the reference rollout it reads, counted whole by "
             "each arm that reads it; every round's rollout; or the online arm's own sampling); trained tokens: "
             "loss-bearing tokens of its training (all rounds); generation and train time: wall seconds of those "
             "stages; peak RSS: the highest resident memory of the process while one of its stages ran (– for no "
             "stage of its own). Cached stages report what they cost when they ran.", "",
             "| arm | " + " | ".join(HEADINGS[k] for k in keys) + " |", "|---|" + "---:|" * len(keys)]
    for arm in summary.arms:
        s = summary.stats.get(arm, {}).get("greedy")
        if s:
            lines.append(f"| {arm} | " + " | ".join(s[k].fmt(_digits(k)) for k in keys) + " |")
    return lines + [""]


def rounds_markdown(summary: Summary, plot: str | None = None) -> list[str]:
    """Iterative DRIFT by round: greedy multi@k of each round's model and the cost up to it (arms with rounds)."""
    stats = summary.round_stats()
    if not stats:
        return []
    ks = [f"multi@{k}" for k in range(1, summary.max_turns + 1)]
    cost = ["rollout_tokens", "train_seconds"]
    lines = ["## Rounds (iterative DRIFT)", "",
             "Round k samples from round k-1's model, weights those trajectories as the drift arm does and trains "
             "from that model for the same steps; each row is that round's model (greedy, test set) and the cost "
             "up to it.", "",
             "| arm | round | " + " | ".join(ks + [HEADINGS[c] for c in cost]) + " |",
             "|---|---:|" + "---:|" * (len(ks) + len(cost))]
    for arm, by_round in stats.items():
        for k, s in by_round.items():
            lines.append(f"| {arm} | {k} | " + " | ".join(s[c].fmt(_digits(c)) for c in ks + cost) + " |")
    if plot:
        lines += ["", f"![multi@k by round]({plot})"]
    return lines + [""]


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
                    selections: list[Selection] | None = None, rounds_plot: str | None = None,
                    tokens_plot: str | None = None, online_beta: float | None = None) -> str:
    """The results page: what was run (command, config), both tables, the cost, the rounds, DRIFT vs online
    GRPO, the plots, notes."""
    seeds = ", ".join(str(s) for s in summary.seeds)
    parts = [
        f"# {title}", "",
        "Reproduce (from the repository root):", "", "```bash", command, "```", "",
        f"Mean ± sample std over seeds {seeds} ({len(summary.seeds)} seed{'s' if len(summary.seeds) > 1 else ''}: "
        "each trained arm's shuffle order, and the T=1 evaluation's sampling). "
        "`multi@k`: share of test problems solved within k turns; "
        "correction rate: share of the problems failed at turn 1 that a later turn solved; repeated answers: "
        "share of answers after feedback that repeat an earlier answer of the same problem. What each arm "
        "cost: the Cost section.", "",
    ]
    parts += [f"- {k}: {v}" for k, v in facts.items()]
    parts += ["", "## Greedy decoding (the paper's evaluation)", "", table_markdown(summary, "greedy"), ""]
    if any("t1" in s for s in summary.stats.values()):
        parts += ["## Sampled at T=1 (one trajectory per problem)", "", table_markdown(summary, "t1"), ""]
    if plot:
        parts += [f"![multi@k by k]({plot})", ""]
    parts += cost_markdown(summary)
    parts += rounds_markdown(summary, rounds_plot)
    parts += answer_markdown(summary, tokens_plot, online_beta)
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
    average) and twice the larger seed std: a difference below it is reported as within noise
    (drift_core/compare/answer.py's noise_band, the rule of the DRIFT vs online GRPO section too).
    """
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
                    noise = noise_band(s, o, n)
                    verdict = "within noise" if abs(diff) <= noise else ("higher" if diff > 0 else "lower")
                    bits.append(f"{other} {diff:+.3f} ({verdict})")
                lines.append(f"- {name} {key}: `{arm}` {s.mean:.3f} (best: `{best}` {have[best].mean:.3f}); "
                             f"vs " + ", ".join(bits))
    return lines
