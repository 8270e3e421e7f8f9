"""Confidence intervals for evaluation metrics: the Wilson interval of a proportion, from scipy.

sql/eval_metrics.sql computes the same interval in DuckDB for the eval_metrics table (its test
checks it against scipy); this is the Python form for reports and ad-hoc comparisons. Paired tests
between two models live in drift_core.promotion.
"""

from __future__ import annotations

import math
from statistics import NormalDist

from scipy.stats import binomtest


def z_value(confidence: float) -> float:
    """Two-sided normal quantile: 0.95 -> 1.959964 (the `z` that sql/eval_metrics.sql takes)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return NormalDist().inv_cdf((1.0 + confidence) / 2.0)


def wilson_interval(successes: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion successes/n; (nan, nan) when n == 0.

    successes is rounded to the nearest count: scipy's binomtest takes an integer, and callers that
    pass a mean share times n (drift_core/compare/markdown.py's noise threshold) get 30.000000000000004 and the like.
    """
    if n <= 0:
        return math.nan, math.nan
    ci = binomtest(round(successes), n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)
