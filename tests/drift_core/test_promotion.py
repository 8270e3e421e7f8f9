"""The promotion gate on per-problem outcomes; expected values computed by hand."""

from __future__ import annotations

import pytest

from drift_core.errors import DriftError
from drift_core.promotion import decide, mcnemar_exact_p, outcomes, paired_bootstrap_ci


def test_mcnemar_exact_by_hand():
    # b=10, c=1: p = 2 * (C(11,0) + C(11,1)) / 2^11 = 2 * 12 / 2048
    assert mcnemar_exact_p(10, 1) == pytest.approx(24 / 2048)
    # b=c: the two-sided tail passes 1/2, capped at 1
    assert mcnemar_exact_p(3, 3) == 1.0
    assert mcnemar_exact_p(0, 0) == 1.0
    # b=5, c=0: 2 / 2^5
    assert mcnemar_exact_p(5, 0) == pytest.approx(2 / 32)
    # b=8, c=2: p = 2 * sum_{i<=2} C(10,i) / 2^10 = 2 * (1 + 10 + 45) / 1024 = 0.109375; symmetric in b, c
    assert mcnemar_exact_p(8, 2) == pytest.approx(0.109375) and mcnemar_exact_p(2, 8) == pytest.approx(0.109375)


def test_outcomes_solved_within_k():
    assert outcomes({"a": 1, "b": 3, "c": None}, 2) == {"a": True, "b": False, "c": False}


def solved(ids, n=100):
    return {f"p{i}": (1 if i in ids else None) for i in range(n)}


def test_no_champion_promotes():
    d = decide(solved(range(10)), None)
    assert d.promote and d.reason == "no champion yet" and d.candidate_value == pytest.approx(0.10)


def test_a_clear_gain_passes_mcnemar():
    # 20 problems only the candidate solves, none the other way: p = 2 / 2^20
    d = decide(solved(range(40)), solved(range(20)), metric="multi@5")
    assert d.promote and d.cand_only == 20 and d.champ_only == 0
    assert d.delta == pytest.approx(0.20) and d.p_value == pytest.approx(2 / 2**20)


def test_a_small_gain_is_noise():
    # 3 vs 1 discordant: p = 2 * (1 + 4) / 16 = 0.625
    cand = solved([0, 1, 2, 10, 11])
    champ = solved([3, 10, 11])
    d = decide(cand, champ)
    assert not d.promote and d.p_value == pytest.approx(0.625) and "noise" in d.reason


def test_worse_never_promotes_unless_always():
    assert not decide(solved(range(5)), solved(range(30))).promote
    assert not decide(solved(range(5)), solved(range(30)), gate="better").promote
    assert decide(solved(range(5)), solved(range(30)), gate="always").promote


def test_better_gate_and_min_delta():
    cand, champ = solved([0, 1]), solved([0])
    assert decide(cand, champ, gate="better").promote
    assert not decide(cand, champ, gate="better", min_delta=0.05).promote


def test_bootstrap_gate():
    d = decide(solved(range(40)), solved(range(20)), gate="bootstrap", bootstrap_samples=2000)
    assert d.promote and 0 < d.ci_low < 0.2 < d.ci_high

    # 20 of 100 differences are +1, the rest 0: the mean's sd is sqrt(0.2 * 0.8 / 100) = 0.04, so the
    # 95% percentile interval is near 0.2 +- 1.96 * 0.04 = (0.12, 0.28); the same seed gives the same interval.
    assert d.ci_low == pytest.approx(0.12, abs=0.02) and d.ci_high == pytest.approx(0.28, abs=0.02)
    again = decide(solved(range(40)), solved(range(20)), gate="bootstrap", bootstrap_samples=2000)
    assert (again.ci_low, again.ci_high) == (d.ci_low, d.ci_high)


def test_paired_bootstrap_degenerate():
    # All differences equal (or a single problem): every resample has that mean, the interval is a point.
    assert paired_bootstrap_ci([1] * 10, [0] * 10, 0.95, 500, 0) == (1.0, 1.0)
    assert paired_bootstrap_ci([1, 0, 1], [1, 0, 1], 0.95, 500, 0) == (0.0, 0.0)
    assert paired_bootstrap_ci([1], [0], 0.95, 500, 0) == (1.0, 1.0)


def test_metric_k_is_used():
    # Solved at turn 3: counts for multi@5, not for multi@1.
    cand = {f"p{i}": 3 for i in range(30)}
    champ = {f"p{i}": None for i in range(30)}
    assert decide(cand, champ, metric="multi@5").promote
    assert not decide(cand, champ, metric="multi@1").promote


def test_different_eval_sets_are_refused():
    with pytest.raises(DriftError, match="same eval set"):
        decide({"a": 1}, {"b": 1})
    with pytest.raises(DriftError, match="multi@k"):
        decide({"a": 1}, None, metric="accuracy")
