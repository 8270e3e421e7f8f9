"""The promotion gate: does a candidate beat the champion on the same problems, beyond noise?

Plain decision logic on per-problem outcomes (no registry here; tasks/registry.py applies the
decision). An outcome is whether a problem was solved within k turns, so `multi@k` is its mean.
Both tests are paired: the same problems are scored for both models, so only problems where the
two disagree carry information.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import binomtest, bootstrap

from drift_core.errors import DriftError


@dataclass
class Decision:
    """What the gate decided and the figures it decided on (logged to MLflow as is)."""

    promote: bool
    reason: str
    metric: str
    gate: str
    candidate_value: float | None = None
    champion_value: float | None = None
    delta: float | None = None
    p_value: float | None = None  # McNemar: exact two-sided p of the discordant split
    ci_low: float | None = None  # bootstrap: lower end of the gain's interval
    ci_high: float | None = None
    n_problems: int = 0
    cand_only: int = 0  # solved by the candidate only
    champ_only: int = 0  # solved by the champion only

    def as_dict(self) -> dict:
        return asdict(self)


def turns_of(metric: str) -> int:
    """'multi@5' -> 5."""
    name, _, k = metric.partition("@")
    if name != "multi" or not k.isdigit() or int(k) < 1:
        raise DriftError(f"gate metric must look like multi@k, got {metric!r}")
    return int(k)


def outcomes(per_problem: dict[str, int | None], k: int) -> dict[str, bool]:
    """Per-problem t_star (first correct turn or None) -> solved within k turns."""
    return {pid: t is not None and t <= k for pid, t in per_problem.items()}


def mcnemar_exact_p(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value: the binomial test of min(b, c) of b + c discordant at 1/2."""
    if b + c == 0:
        return 1.0  # no discordant problem: no evidence either way (binomtest refuses n = 0)
    return float(binomtest(min(b, c), b + c, 0.5).pvalue)


def paired_bootstrap_ci(
    cand: list[int], champ: list[int], confidence: float, samples: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of the mean per-problem difference cand - champ (outcomes 0/1, paired by problem)."""
    x, y = np.asarray(cand, dtype=np.float64), np.asarray(champ, dtype=np.float64)
    d = x - y
    if len(d) < 2 or np.all(d == d[0]):
        # Every resample has the same mean (and scipy refuses fewer than two observations).
        delta = float(d.mean())
        return delta, delta
    res = bootstrap(
        (x, y), lambda a, b, axis: np.mean(a - b, axis=axis), paired=True, vectorized=True,
        n_resamples=samples, batch=1000,  # batches keep memory at 1000 x n draws
        confidence_level=confidence, method="percentile", rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def decide(
    candidate: dict[str, int | None],
    champion: dict[str, int | None] | None,
    *,
    metric: str = "multi@5",
    gate: str = "mcnemar",
    confidence: float = 0.95,
    min_delta: float = 0.0,
    bootstrap_samples: int = 10_000,
    seed: int = 0,
) -> Decision:
    """Promote the candidate? `candidate`/`champion` map prompt_id -> t_star on the same eval set.

    No champion: promote. Otherwise the metric must rise by more than `min_delta` and the gate
    must pass: mcnemar (exact test, p < 1 - confidence), bootstrap (interval of the gain above 0),
    better (any gain) or always.
    """
    k = turns_of(metric)
    cand = outcomes(candidate, k)
    if champion is None:
        value = sum(cand.values()) / len(cand) if cand else None
        return Decision(True, "no champion yet", metric, gate, candidate_value=value, n_problems=len(cand))
    champ = outcomes(champion, k)
    if set(cand) != set(champ):
        raise DriftError(
            f"candidate and champion were evaluated on different problems "
            f"({len(set(cand) ^ set(champ))} differ); the gate compares the same eval set"
        )
    ids = sorted(cand)
    n = len(ids)
    if n == 0:
        raise DriftError("the eval set is empty; nothing to compare")
    b = sum(cand[i] and not champ[i] for i in ids)
    c = sum(champ[i] and not cand[i] for i in ids)
    cv, hv = sum(cand.values()) / n, sum(champ.values()) / n
    d = Decision(
        False, "", metric, gate, candidate_value=cv, champion_value=hv, delta=cv - hv,
        n_problems=n, cand_only=b, champ_only=c, p_value=mcnemar_exact_p(b, c),
    )
    if gate == "bootstrap" or gate == "mcnemar":
        d.ci_low, d.ci_high = paired_bootstrap_ci(
            [int(cand[i]) for i in ids], [int(champ[i]) for i in ids], confidence, bootstrap_samples, seed
        )
    alpha = 1 - confidence
    if gate == "always":
        d.promote, d.reason = True, "gate 'always' promotes every new version"
    elif d.delta <= min_delta:
        d.reason = f"{metric} {cv:.3f} does not beat the champion's {hv:.3f} by more than {min_delta}"
    elif gate == "better":
        d.promote, d.reason = True, f"{metric} rose {hv:.3f} -> {cv:.3f}"
    elif gate == "mcnemar":
        d.promote = d.p_value < alpha
        verdict = "significant" if d.promote else "could be noise"
        d.reason = f"{metric} {hv:.3f} -> {cv:.3f}, McNemar p={d.p_value:.3g} ({b} vs {c} discordant): {verdict}"
    elif gate == "bootstrap":
        d.promote = d.ci_low > 0
        verdict = "significant" if d.promote else "could be noise"
        d.reason = (
            f"{metric} {hv:.3f} -> {cv:.3f}, {confidence:.0%} paired bootstrap interval of the gain "
            f"[{d.ci_low:.3f}, {d.ci_high:.3f}]: {verdict}"
        )
    else:
        raise DriftError(f"unknown gate {gate!r} (mcnemar, bootstrap, better, always)")
    return d
