"""Confidence intervals for evaluation metrics: Wilson for proportions, bootstrap for means.

sql/eval_metrics.sql computes the same intervals in DuckDB for the eval_metrics table; these are
the Python forms (for tests, plots and ad-hoc comparisons). Paired tests between two models live
in drift_core.promotion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np


def z_value(confidence: float) -> float:
    """Two-sided normal quantile: 0.95 -> 1.959964."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf((1.0 + confidence) / 2.0)


def wilson_interval(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion successes/n; (nan, nan) when n == 0.

    center = (p + z^2/2n) / (1 + z^2/n);  half = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
    Unlike p +- z*sqrt(p(1-p)/n) it stays inside [0, 1] and is not empty at p = 0 or 1.
    """
    if n <= 0:
        return math.nan, math.nan
    z = z_value(confidence)
    p = successes / n
    z2n = z * z / n
    center = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
    return max(0.0, center - half), min(1.0, center + half)


def bootstrap_ci(values: Sequence[float], confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
                 stat=np.mean) -> tuple[float, float]:
    """Percentile bootstrap interval of stat(values) (resampling values with replacement)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(n_boot, x.size))  # [n_boot, n] resampled positions
    reps = np.apply_along_axis(stat, 1, x[idx]) if stat is not np.mean else x[idx].mean(axis=1)
    alpha = 1.0 - confidence
    return float(np.quantile(reps, alpha / 2)), float(np.quantile(reps, 1 - alpha / 2))


def ratio_bootstrap_ci(num: Sequence[float], den: Sequence[float], confidence: float = 0.95,
                       n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Cluster bootstrap of sum(num)/sum(den), resampling clusters (e.g. problems) with replacement."""
    a, b = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if a.size == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, a.size, size=(n_boot, a.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        reps = a[idx].sum(axis=1) / b[idx].sum(axis=1)
    reps = reps[np.isfinite(reps)]
    if reps.size == 0:
        return math.nan, math.nan
    alpha = 1.0 - confidence
    return float(np.quantile(reps, alpha / 2)), float(np.quantile(reps, 1 - alpha / 2))
