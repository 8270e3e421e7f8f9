"""The result table: arm definitions, gold-answer SFT data, per-seed figures, mean ± std, Markdown.

Pure functions over plain values; the flow (flows/compare.py) runs the arms and hands their
evaluation metrics here. One arm = one way of getting a policy from the same reference and the
same rollouts, trained with the same number of optimizer steps (docs/design.md §7: a fair comparison).
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path

from drift_core.config.compare import CompareConfig, SweepConfig
from drift_core.config.eval import EvalConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.train import TrainConfig
from drift_core.config.weights import WeightsConfig
from drift_core.episode import Episode, prefill_text
from drift_core.store import Workspace

# Table columns after multi@1..K: (key in a record, heading). Times and tokens are costs, not quality.
EXTRA_COLUMNS = (("correction_rate", "correction rate"), ("repeat_share", "repeated answers"),
                 ("train_seconds", "train time (s)"), ("rollout_tokens", "rollout tokens"))
HEADINGS = {"elimination": "elimination", **dict(EXTRA_COLUMNS)}
OPTIMUM_ROW = "optimum (elimination)"  # the ceiling's row in the tables, on sets with hidden-option items
DECODINGS = ("greedy", "t1")  # greedy = the paper's evaluation; t1 = one sampled trajectory at T=1


@dataclass(frozen=True)
class Arm:
    name: str
    data: str  # 'none' (no training), 'gold' (question -> gold answer) or 'rollout' (the reference's samples)
    weights: WeightsConfig | None = None  # the weighting of `data` the arm trains on
    about: str = ""


def arms(cfg: CompareConfig) -> list[Arm]:
    """The configured arms in table order; every trained arm reads one weighting of one dataset."""
    g = cfg.drift_gamma
    table = {
        "reference": Arm("reference", "none", None, "the reference policy, no training"),
        "gold-sft": Arm("gold-sft", "gold", WeightsConfig(scheme="uniform", gamma=g),
                        "single-turn SFT on question -> <answer>gold</answer> (offline SFT)"),
        "uniform": Arm("uniform", "rollout", WeightsConfig(scheme="uniform", gamma=g),
                       "SFT on every rollout trajectory, weight 1"),
        "rft": Arm("rft", "rollout", WeightsConfig(scheme="rft", gamma=g),
                   "SFT on solved trajectories only (weight 1 if solved else 0)"),
        "drift": Arm("drift", "rollout", WeightsConfig(scheme="drift", gamma=g, beta=cfg.drift_beta),
                     f"exp(R/beta) per prompt, gamma {g}, beta {cfg.drift_beta} (the reference)"),
        "drift-ext": Arm("drift-ext", "rollout",
                         WeightsConfig(scheme="drift-ext", gamma=g, beta=cfg.ext_beta, target_ess=cfg.ext_target_ess,
                                       all_fail_zero=cfg.ext_all_fail_zero),
                         f"drift with all_fail_zero={cfg.ext_all_fail_zero}, beta {cfg.ext_beta} "
                         f"(ESS/n target {cfg.ext_target_ess})"),
    }
    return [table[name] for name in cfg.arms]


def budget(train: TrainConfig, max_steps: int, seed: int) -> TrainConfig:
    """The train config of one arm x seed: every trained arm gets the same optimizer steps (and batch)."""
    return train.model_copy(update={"max_steps": max_steps, "seed": seed})


def sampled_eval(cfg: EvalConfig, temperature: float, seed: int) -> EvalConfig:
    """The T>0 evaluation beside greedy decoding, seeded by the arm's seed."""
    return cfg.model_copy(update={"temperature": temperature, "seed": seed})


def sweep_grid(cfg: SweepConfig) -> list[tuple[str, WeightsConfig]]:
    """(label, weighting) per grid point, betas outer, gammas inner."""
    return [(f"b{b:g}-g{g:g}", WeightsConfig(scheme=cfg.scheme, beta=b, gamma=g))
            for b in cfg.betas for g in cfg.gammas]


# -- gold-answer SFT data ------------------------------------------------------------------------
def gold_episodes(prompts: list[dict], protocol: ProtocolConfig) -> list[Episode]:
    """One single-turn episode per prompt whose only answer is the gold one.

    Stepping a real Episode gives exactly the rollout's message format (system, user with the
    instruction and format line, assistant '<answer>gold</answer>'), so the trainer sees the same
    text a rollout's turn-1 success would have.
    """
    eps = []
    for p in prompts:
        ep = Episode(prompt_id=p["prompt_id"], sample_idx=0, question=p["question"], gold=str(p["gold"]),
                     protocol=protocol)
        gold = str(p["gold"])
        full = f"<think></think><answer>{gold}</answer>" if protocol.think else f"<answer>{gold}</answer>"
        generated = full[len(prefill_text(protocol)):]  # the prefill is what the engine would have given
        ep.step(generated, completion_tokens=0)
        eps.append(ep)
    return eps


def gold_run_id(prompts: list[dict], protocol: ProtocolConfig) -> str:
    blob = json.dumps([[p["prompt_id"], str(p["gold"])] for p in prompts] + [protocol.model_dump()], sort_keys=True)
    return "gold-" + hashlib.sha256(blob.encode()).hexdigest()[:12]


def write_gold_run(ws: Workspace, prompts: list[dict], protocol: ProtocolConfig) -> tuple[str, int]:
    """Store the gold answers as a run (policy 'gold') beside the rollouts; returns (run_id, trajectories).

    Stored like a rollout, the weights stage (scheme uniform) and the trainer take it unchanged.
    """
    from drift_core.rollout import trajectories_table, turns_table

    eps = gold_episodes(prompts, protocol)
    run_id = gold_run_id(prompts, protocol)
    con = ws.connect()
    try:
        ws.upsert_prompts(con, [p for p in prompts if {"split", "source"} <= p.keys()])
    finally:
        con.close()
    ws.write_shard("turns", run_id, 0, turns_table(run_id, eps))
    ws.write_shard("trajectories", run_id, 0, trajectories_table(run_id, "gold", eps))
    return run_id, len(eps)


# -- per-seed figures ----------------------------------------------------------------------------
def figures(metrics: dict, max_turns: int) -> dict[str, float | None]:
    """One evaluation's table figures: multi@1..K, correction rate, repeated-answer share; on a set with
    hidden-option items also the elimination share and, per k, the optimum and multi@k's share of it."""
    out = {f"multi@{k}": metrics.get(f"multi@{k}") for k in range(1, max_turns + 1)}
    out["correction_rate"] = metrics.get("correction_rate")  # sql/eval_metrics.sql: its one definition
    out["repeat_share"] = metrics.get("repeat_share")
    if metrics.get("optimum@1") is not None:
        out["elimination"] = metrics.get("elimination")
        for k in range(1, max_turns + 1):
            out[f"optimum@{k}"] = metrics.get(f"optimum@{k}")
            out[f"optimum_share@{k}"] = metrics.get(f"optimum_share@{k}")
    return out


@dataclass
class Stat:
    mean: float | None
    std: float | None  # sample std over seeds (0 with one seed); None when no seed has a value
    n: int

    def fmt(self, digits: int = 3) -> str:
        if self.mean is None:
            return "–"
        if digits == 0:
            return f"{self.mean:,.0f} ± {self.std:,.0f}"
        return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"


def mean_std(values: list[float | None]) -> Stat:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return Stat(None, None, 0)
    return Stat(statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0, len(vals))


@dataclass
class Summary:
    """Mean ± std per arm, decoding and figure; `records` keeps every seed's figures."""

    arms: list[str]
    max_turns: int
    seeds: list[int]
    stats: dict[str, dict[str, dict[str, Stat]]] = field(default_factory=dict)  # arm -> decoding -> key -> Stat
    records: list[dict] = field(default_factory=list)

    def has_optimum(self) -> bool:
        """Whether the test set has hidden-option items (so an elimination optimum below 1)."""
        return any((r.get("greedy") or {}).get("optimum@1") is not None for r in self.records)

    def columns(self) -> list[str]:
        """The table's columns: multi@1..K, the elimination share (hidden-option items only), the rest."""
        extra = [k for k, _ in EXTRA_COLUMNS]
        return ([f"multi@{k}" for k in range(1, self.max_turns + 1)]
                + (["elimination"] if self.has_optimum() else []) + extra)

    def stat_keys(self) -> list[str]:
        return self.columns() + ([f"optimum_share@{k}" for k in range(1, self.max_turns + 1)]
                                 if self.has_optimum() else [])

    def optimum(self) -> list[float] | None:
        """optimum@1..K of the test set (the same for every arm and decoding), None without hidden items."""
        for r in self.records:
            g = r.get("greedy") or {}
            if g.get("optimum@1") is not None:
                return [g[f"optimum@{k}"] for k in range(1, self.max_turns + 1)]
        return None

    def flat_metrics(self) -> dict[str, float]:
        """'<arm>/<decoding>/<key>_mean' and '_std' (for MLflow; '@' is renamed by the tracker)."""
        out = {}
        for arm, by_dec in self.stats.items():
            for dec, by_key in by_dec.items():
                for key, s in by_key.items():
                    if s.mean is not None:
                        out[f"{arm}.{dec}.{key}_mean"] = s.mean
                        out[f"{arm}.{dec}.{key}_std"] = s.std
        return out


def aggregate(records: list[dict], arm_order: list[str], max_turns: int) -> Summary:
    """records: {'arm', 'seed', 'greedy': figures, 't1': figures or None, 'train_seconds', 'rollout_tokens'}."""
    seeds = sorted({r["seed"] for r in records})
    summary = Summary(arms=[a for a in arm_order if any(r["arm"] == a for r in records)], max_turns=max_turns,
                      seeds=seeds, records=records)
    keys = summary.stat_keys()
    for arm in summary.arms:
        rows = [r for r in records if r["arm"] == arm]
        summary.stats[arm] = {}
        for dec in DECODINGS:
            have = [r for r in rows if r.get(dec)]
            if not have:
                continue
            summary.stats[arm][dec] = {
                k: mean_std([r[dec].get(k) if k in r[dec] else r.get(k) for r in have]) for k in keys
            }
    return summary


# -- settings chosen on validation -----------------------------------------------------------------
@dataclass
class Selection:
    """One arm's learning rate, chosen on the validation split (never on test): the grid's scores and the pick."""

    arm: str
    metric: str
    scores: dict[float, float | None]  # lr -> validation figure (greedy), in grid order
    chosen: float
    validation_problems: int = 0

    def as_dict(self) -> dict:
        return {"arm": self.arm, "metric": self.metric, "chosen": self.chosen,
                "scores": {f"{lr:g}": v for lr, v in self.scores.items()},
                "validation_problems": self.validation_problems}


def choose(scores: dict[float, float | None]) -> float:
    """The learning rate with the best validation figure; a tie goes to the earlier grid value, a missing
    figure never wins (an arm whose every figure is missing keeps the first value)."""
    best, pick = None, next(iter(scores))
    for lr, value in scores.items():
        if value is not None and (best is None or value > best):
            best, pick = value, lr
    return pick


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


# -- Markdown --------------------------------------------------------------------------------------
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


def reading_lines(summary: Summary, arms_of_interest: tuple[str, ...] = ("drift", "drift-ext")) -> list[str]:
    """Each DRIFT arm against every other arm on multi@1 and multi@K, called a difference only beyond noise.

    Noise = the larger of the test set's 95% half-width for a share (Wilson, at the two means'
    average) and twice the larger seed std: a difference below it is reported as within noise.
    """
    from drift_core.stats import wilson_interval

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


def sweep_markdown(values: dict[tuple[float, float], dict], betas: list[float], gammas: list[float],
                   metrics: list[str], *, title: str, command: str, plot: str | None = None) -> str:
    """One grid per metric: rows beta, columns gamma."""
    parts = [f"# {title}", "", "Reproduce:", "", "```bash", command, "```", ""]
    for m in metrics:
        parts += [f"## {m}", "", "| beta \\ gamma | " + " | ".join(f"{g:g}" for g in gammas) + " |",
                  "|---|" + "---:|" * len(gammas)]
        for b in betas:
            cells = []
            for g in gammas:
                v = values.get((b, g), {}).get(m)
                cells.append("–" if v is None else f"{v:.3f}")
            parts.append(f"| {b:g} | " + " | ".join(cells) + " |")
        parts.append("")
    if plot:
        parts += [f"![sweep]({plot})", ""]
    return "\n".join(parts)


# -- inputs and outputs --------------------------------------------------------------------------
def run_tokens(ws: Workspace, run_id: str) -> int:
    """Tokens generated in a run, read from its turns (right even when the rollout was resumed or cached)."""
    from drift_core.sqlfiles import run_sql

    con = ws.connect(read_only=True)
    try:
        return int(run_sql(con, "lookups/run_tokens", {"run_id": run_id}).fetchone()[0])
    finally:
        con.close()


def set_threads(threads: int | None) -> None:
    """torch CPU threads for training and generation (None: torch's default)."""
    if threads:
        import torch

        torch.set_num_threads(threads)


def write_results(summary: Summary, out_md: str | Path, *, title: str, command: str, config_yaml: str,
                  about: dict[str, str], facts: dict[str, str], notes: str = "",
                  selections: list[Selection] | None = None) -> list[Path]:
    """The Markdown page, a PNG of multi@k by k (greedy and T=1) and a JSON of every seed's figures."""
    from drift_core.plots import multi_at_k_by_arm

    out_md = Path(out_md)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    png = out_md.with_suffix(".png")
    curves = {dec: {arm: [(s.mean, s.std) for k, s in by_dec[dec].items() if k.startswith("multi@")]
                    for arm, by_dec in summary.stats.items() if dec in by_dec}
              for dec in DECODINGS}
    multi_at_k_by_arm({d: c for d, c in curves.items() if c}, png, title=title, optimum=summary.optimum())
    out_md.write_text(render_markdown(summary, title=title, command=command, config_yaml=config_yaml, about=about,
                                      facts=facts, notes=notes, plot=png.name, selections=selections))
    js = out_md.with_suffix(".json")
    js.write_text(json.dumps({"title": title, "command": command, "facts": facts, "records": summary.records,
                              "summary": summary.flat_metrics(),
                              "optimum": {f"multi@{k}": v for k, v in enumerate(summary.optimum() or [], 1)},
                              "selections": [s.as_dict() for s in selections or []]}, indent=1, default=str))
    return [out_md, png, js]


def write_sweep(cfg: SweepConfig, points: list[tuple[float, float]], weights_metrics: list[dict],
                eval_metrics: list[dict], max_turns: int, *, command: str, seconds: float) -> list[Path]:
    """The sweep's Markdown grids (multi@1, multi@K, mean ESS/n, weight on all-fail prompts) and heat map."""
    from drift_core.plots import sweep_heatmap

    top = f"multi@{max_turns}"
    values: dict[tuple[float, float], dict] = {}
    for (b, g), wm, em in zip(points, weights_metrics, eval_metrics, strict=True):
        values[(b, g)] = {"multi@1": em.get("multi@1"), top: em.get(top), "mean ESS/n": wm.get("mean_ess_fraction"),
                          "weight on all-fail prompts": wm.get("all_fail_weight_share")}
    out = Path(cfg.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_suffix(".png")
    shown = ["multi@1", top]
    sweep_heatmap({m: [[values[(b, g)][m] for g in cfg.gammas] for b in cfg.betas] for m in shown},
                  cfg.betas, cfg.gammas, png, title=f"{cfg.scheme}: greedy accuracy by beta and gamma")
    title = f"beta x gamma sweep of `{cfg.scheme}` (seed {cfg.seed}, {cfg.max_steps} steps per point)"
    text = sweep_markdown(values, cfg.betas, cfg.gammas, [*shown, "mean ESS/n", "weight on all-fail prompts"],
                          title=title, command=command, plot=png.name)
    text += f"\nGreedy decoding on the test split; one training seed per point. Wall time {seconds / 60:.1f} min.\n"
    out.write_text(text)
    return [out, png]
