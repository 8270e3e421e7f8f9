"""drift_core/compare/summary.py: per-seed figures, mean ± sample std, the aggregate per arm and decoding."""

from __future__ import annotations

import math

import pytest

from drift_core.compare.arms import arm_names
from drift_core.compare.summary import aggregate, figures, mean_std
from tests.drift_core.compare.records import record


def test_figures_pick_the_table_columns():
    m = {"multi@1": 0.5, "multi@2": 0.75, "repeat_share": 0.2, "turn_acc@1": 0.5, "correction_rate": 0.5}
    got = figures(m, max_turns=2)
    assert got == {"multi@1": 0.5, "multi@2": 0.75, "correction_rate": 0.5, "repeat_share": 0.2}


def test_figures_carry_the_optimum_and_elimination_on_hidden_items():
    m = {"multi@1": 0.5, "multi@2": 0.6, "repeat_share": 0.2, "elimination": 0.7, "optimum@1": 0.625,
         "optimum@2": 0.75, "optimum_share@1": 0.8, "optimum_share@2": 0.8}
    got = figures(m, max_turns=2)
    assert got["elimination"] == 0.7 and got["optimum@2"] == 0.75 and got["optimum_share@1"] == 0.8


def test_mean_std_is_the_sample_std():
    s = mean_std([0.2, 0.4, None])
    assert s.mean == pytest.approx(0.3)
    assert s.std == pytest.approx(math.sqrt(((0.1**2) * 2) / 1))  # sum of squares / (n - 1)
    assert s.n == 2
    assert mean_std([0.5]).std == 0.0
    assert mean_std([None]).mean is None and mean_std([None]).fmt() == "–"


def test_aggregate_per_arm_in_table_order():
    recs = [record("drift", 0, 0.6, 0.8), record("drift", 1, 0.4, 0.9)] + [
        record("reference", s, 0.5, 0.7) for s in (0, 1)]
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    assert summary.arms == ["reference", "drift"] and summary.seeds == [0, 1]  # table order, not record order
    d = summary.stats["drift"]["greedy"]
    assert d["multi@1"].mean == pytest.approx(0.5) and d["multi@1"].std == pytest.approx(math.sqrt(0.02))
    assert d["train_seconds"].mean == pytest.approx(10.5)
    flat = summary.flat_metrics()
    assert flat["drift.greedy.multi@1_mean"] == pytest.approx(0.5)
    assert "drift.t1.multi@2_std" in flat
