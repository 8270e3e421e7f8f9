"""The PNG figures are written and are real images."""

from __future__ import annotations

from drift_core.plots import accuracy_by_turn, weight_distribution

PNG = b"\x89PNG\r\n\x1a\n"


def test_weight_distribution_png(tmp_path):
    # beta = 0.1: successes ~e^10 heavier; an all-fail prompt keeps weights of 1; rft zeros.
    out = weight_distribution([7.9, 0.0004, 1.0, 1.0, 0.0], [True, False, False, False, False], tmp_path / "w.png")
    assert out.read_bytes()[:8] == PNG


def test_accuracy_by_turn_png(tmp_path):
    out = accuracy_by_turn({"reference": [0.2, 0.3], "candidate": [0.25, 0.4]}, tmp_path / "a" / "acc.png")
    assert out.read_bytes()[:8] == PNG and out.stat().st_size > 5000


def test_compare_plots_write_pngs(tmp_path):
    from drift_core.plots import multi_at_k_by_arm, sweep_heatmap

    p = multi_at_k_by_arm({"greedy": {"a": [(0.1, 0.01), (0.2, 0.02)], "b": [(0.3, 0.0), (None, None)]}},
                          tmp_path / "m.png", title="x")
    h = sweep_heatmap({"multi@1": [[0.1, None], [0.3, 0.4]]}, [0.1, 1.0], [0.5, 0.9], tmp_path / "h.png")
    assert p.read_bytes()[:4] == b"\x89PNG" and h.read_bytes()[:4] == b"\x89PNG"


def test_multi_at_k_by_round_png(tmp_path):
    from drift_core.plots import multi_at_k_by_round

    out = multi_at_k_by_round({"drift-r2 multi@1": [(0, 0.2, 0.0), (1, 0.3, 0.05), (2, None, None)],
                               "drift-r2 multi@3": [(2, 0.6, 0.1), (1, 0.5, 0.0)]}, tmp_path / "r.png", title="t")
    assert out.read_bytes()[:4] == b"\x89PNG"
