"""drift_core.stats: interval formulas on hand-checked points and coverage properties."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drift_core.stats import bootstrap_ci, ratio_bootstrap_ci, wilson_interval, z_value


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_wilson_edges():
    # p = 0, n = 10: center = (z^2/20)/(1 + z^2/10) = 0.192073/1.384146 = 0.138767, half equal -> (0, 0.27753)
    lo, hi = wilson_interval(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.27753, abs=1e-5)
    lo, hi = wilson_interval(10, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(1 - 0.27753, abs=1e-5)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_wilson_width_shrinks_like_one_over_sqrt_n():
    # DESIGN §7: with 300 problems near p = 0.3 the 95% interval is about +-0.05
    lo, hi = wilson_interval(90, 300)
    assert (hi - lo) / 2 == pytest.approx(0.052, abs=0.002)


def test_bootstrap_mean_interval():
    x = np.random.default_rng(1).normal(2.0, 1.0, size=400)
    lo, hi = bootstrap_ci(x, n_boot=1000)
    se = x.std(ddof=1) / math.sqrt(x.size)  # normal approx: mean +- 1.96 se
    assert lo == pytest.approx(x.mean() - 1.96 * se, abs=0.3 * se)
    assert hi == pytest.approx(x.mean() + 1.96 * se, abs=0.3 * se)
    assert bootstrap_ci(x, seed=3) == bootstrap_ci(x, seed=3)


def test_ratio_bootstrap():
    num, den = [1, 0, 2, 0], [2, 1, 2, 0]  # ratio 3/5
    lo, hi = ratio_bootstrap_ci(num, den, n_boot=500)
    assert 0.0 <= lo <= 0.6 <= hi <= 1.0
    assert all(math.isnan(v) for v in ratio_bootstrap_ci([], []))
