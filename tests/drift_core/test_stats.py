"""drift_core.stats: the Wilson interval on hand-checked points."""

from __future__ import annotations

import math

import pytest

from drift_core.stats import wilson_interval, z_value


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)
    with pytest.raises(ValueError):
        z_value(1.0)


def test_wilson_at_known_point():
    # 30/100 at 95%: z = 1.959964, z2n = z^2/n = 0.038415; center = (0.3 + z2n/2)/(1 + z2n) = 0.307399
    # half = z * sqrt(0.3*0.7/100 + z^2/(4 n^2)) / (1 + z2n) = 0.088451 -> (0.21895, 0.39585)
    lo, hi = wilson_interval(30, 100)
    assert lo == pytest.approx(0.21895, abs=1e-5) and hi == pytest.approx(0.39585, abs=1e-5)
    # 90% uses z = 1.644854: center = (0.3 + 0.013528)/1.027055 = 0.305269, half = 0.074564
    lo, hi = wilson_interval(30, 100, 0.90)
    assert lo == pytest.approx(0.23070, abs=1e-5) and hi == pytest.approx(0.37983, abs=1e-5)


def test_wilson_edges():
    # p = 0, n = 10: center = (z^2/20)/(1 + z^2/10) = 0.192073/1.384146 = 0.138767, half equal -> (0, 0.27753)
    lo, hi = wilson_interval(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and hi == pytest.approx(0.27753, abs=1e-5)
    lo, hi = wilson_interval(10, 10)
    assert hi == pytest.approx(1.0) and lo == pytest.approx(1 - 0.27753, abs=1e-5)
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_wilson_rounds_a_fractional_count():
    # drift_core/compare/markdown.py passes a mean share times n: 0.3 * 100 = 30.000000000000004
    assert wilson_interval(0.3 * 100, 100) == wilson_interval(30, 100)


def test_wilson_width_shrinks_like_one_over_sqrt_n():
    # docs/design.md §7: with 300 problems near p = 0.3 the 95% interval is about +-0.05
    lo, hi = wilson_interval(90, 300)
    assert (hi - lo) / 2 == pytest.approx(0.052, abs=0.002)
