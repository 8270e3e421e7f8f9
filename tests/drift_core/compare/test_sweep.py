"""drift_core/compare/sweep.py: the beta x gamma grid's points, its Markdown grids and files."""

from __future__ import annotations

import pytest

from drift_core.compare.sweep import sweep_grid, sweep_markdown, write_sweep
from drift_core.config import WeightsConfig
from drift_core.config.compare import SweepConfig


def test_sweep_grid_and_config_checks():
    grid = sweep_grid(SweepConfig(betas=[0.1, 1.0], gammas=[0.5, 0.9]))
    assert [label for label, _ in grid] == ["b0.1-g0.5", "b0.1-g0.9", "b1-g0.5", "b1-g0.9"]
    assert grid[2][1] == WeightsConfig(scheme="drift", beta=1.0, gamma=0.5)
    with pytest.raises(ValueError):
        SweepConfig(betas=[0.0])
    with pytest.raises(ValueError):
        SweepConfig(gammas=[1.5])


def test_sweep_markdown_rows_beta_columns_gamma():
    text = sweep_markdown({(0.1, 0.9): {"multi@1": 0.25}}, [0.1, 1.0], [0.9], ["multi@1"], title="S", command="c")
    assert "| beta \\ gamma | 0.9 |" in text
    assert "| 0.1 | 0.250 |" in text and "| 1 | – |" in text  # a point without a figure shows a dash


def test_write_sweep_grids_and_heat_map(tmp_path):
    cfg = SweepConfig(betas=[0.1, 1.0], gammas=[0.9], output=str(tmp_path / "s.md"))
    points = [(0.1, 0.9), (1.0, 0.9)]
    wm = [{"mean_ess_fraction": 0.5, "all_fail_weight_share": 0.1}, {"mean_ess_fraction": 0.9}]
    em = [{"multi@1": 0.2, "multi@2": 0.3}, {"multi@1": 0.4, "multi@2": 0.5}]
    md, png = write_sweep(cfg, points, wm, em, 2, command="drift sweep", seconds=60)
    text = md.read_text()
    assert "## multi@2" in text and "## mean ESS/n" in text and "| 1 | 0.400 |" in text
    assert "Wall time 1.0 min" in text and png.read_bytes()[:4] == b"\x89PNG"
