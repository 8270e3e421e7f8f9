"""Per-seed figures -> mean ± sample std per arm, decoding and figure (the numbers of the result table)."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

# Quality table columns after multi@1..K: (key in a record, heading).
EXTRA_COLUMNS = (("correction_rate", "correction rate"), ("repeat_share", "repeated answers"))
# The cost table's columns, the same units for every arm (drift_core/compare/cost.py): a record's
# `rollout_tokens` are every token generated for it (its rollouts, every round's, or its online sampling).
COST_COLUMNS = (("rollout_tokens", "generated tokens"), ("trained_tokens", "trained tokens"),
                ("generation_seconds", "generation time (s)"), ("train_seconds", "train time (s)"),
                ("peak_rss_gib", "peak RSS (GiB)"))
DECODINGS = ("greedy", "t1")  # greedy = the paper's evaluation; t1 = one sampled trajectory at T=1


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

    def cost_columns(self) -> list[str]:
        return [k for k, _ in COST_COLUMNS]

    def stat_keys(self) -> list[str]:
        return self.columns() + self.cost_columns() + ([f"optimum_share@{k}" for k in range(1, self.max_turns + 1)]
                                                       if self.has_optimum() else [])

    def round_stats(self) -> dict[str, dict[int, dict[str, Stat]]]:
        """arm -> round -> key -> Stat over seeds, for the arms with rounds (records' `rounds`): greedy multi@k
        of each round's model and the cost up to that round."""
        keys = [f"multi@{k}" for k in range(1, self.max_turns + 1)] + self.cost_columns()
        out: dict[str, dict[int, dict[str, Stat]]] = {}
        for arm in self.arms:
            rows = [x for r in self.records if r["arm"] == arm for x in r.get("rounds") or []]
            for k in sorted({x["round"] for x in rows}):
                at = [x for x in rows if x["round"] == k]
                out.setdefault(arm, {})[k] = {
                    key: mean_std([x["greedy"].get(key) if key in x["greedy"] else x.get(key) for x in at])
                    for key in keys}
        return out

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
    """records: {'arm', 'seed', 'greedy': figures, 't1': figures or None, the cost fields (COST_COLUMNS) and,
    for an arm with rounds, 'rounds': [{'round', 'greedy', cost fields}]}."""
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
