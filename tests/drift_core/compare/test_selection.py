"""drift_core/compare/selection.py: the learning rate chosen on validation."""

from __future__ import annotations

from drift_core.compare.selection import Selection, choose


def test_choose_takes_the_best_validation_figure_ties_to_the_earlier_value():
    assert choose({1e-5: 0.40, 3e-5: 0.55, 1e-4: 0.50}) == 3e-5
    assert choose({1e-5: 0.50, 3e-5: 0.50, 1e-4: 0.40}) == 1e-5  # tie: the earlier grid value
    assert choose({1e-5: None, 3e-5: 0.10}) == 3e-5  # a missing figure never wins
    assert choose({1e-5: None, 3e-5: None}) == 1e-5


def test_a_selection_as_json_keeps_the_grid_order():
    sel = Selection("drift", "multi@5", {1e-5: 0.4, 1e-4: None}, 1e-5, 300)
    assert sel.as_dict() == {"arm": "drift", "metric": "multi@5", "chosen": 1e-5,
                             "scores": {"1e-05": 0.4, "0.0001": None}, "validation_problems": 300}
