"""drift_core/compare/output.py: the results page, its plot and the JSON of every seed."""

from __future__ import annotations

import json

from drift_core.compare.arms import arm_names
from drift_core.compare.output import write_results
from drift_core.compare.summary import aggregate
from tests.drift_core.compare.records import hidden_record, record


def test_write_results_page_plot_and_json(tmp_path):
    recs = [record("reference", s, 0.5, 0.7, t1=False) for s in (0, 1)]
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    files = write_results(summary, tmp_path / "r" / "t.md", title="T", command="drift compare", config_yaml="a: 1\n",
                          about={"reference": "no training"}, facts={"data": "2 prompts"})
    md, png, js = files
    text = md.read_text()
    assert "```bash\ndrift compare\n```" in text and "- data: 2 prompts" in text and "a: 1" in text
    assert "- `reference`: no training" in text
    assert "Sampled at T=1" not in text  # no sampled evaluation in these records
    assert png.read_bytes()[:4] == b"\x89PNG" and js.exists()


def test_results_with_hidden_items_show_the_ceiling_everywhere(tmp_path):
    recs = [hidden_record("reference", s, 0.5, 0.55, 0.4) for s in (0, 1)] + [
        hidden_record("drift", s, 0.6, 0.7, 0.9) for s in (0, 1)]
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    md, png, js = write_results(summary, tmp_path / "t.md", title="T", command="drift compare", config_yaml="a: 1\n",
                                about={}, facts={})
    text = md.read_text()
    assert "## Share of the optimum" in text
    assert "| drift | 0.960 ± 0.000 | 0.933 ± 0.000 |" in text  # 0.6 / 0.625, 0.7 / 0.75
    assert json.loads(js.read_text())["optimum"] == {"multi@1": 0.625, "multi@2": 0.75}
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_results_without_hidden_items_have_no_ceiling_rows(tmp_path):
    summary = aggregate([record("drift", 0, 0.6, 0.8)], list(arm_names()), max_turns=2)
    md, _, js = write_results(summary, tmp_path / "t.md", title="T", command="c", config_yaml="", about={}, facts={})
    assert "Share of the optimum" not in md.read_text()
    assert json.loads(js.read_text())["optimum"] == {}


def test_arms_with_rounds_get_the_rounds_section_and_plot(tmp_path):
    recs = [record("reference", s, 0.2, 0.4) for s in (0, 1)]
    for s in (0, 1):
        r = record("drift-r2", s, 0.5, 0.7)
        r["rounds"] = [{"round": 1, "greedy": {"multi@1": 0.3 + s / 10, "multi@2": 0.6}, "rollout_tokens": 100,
                        "train_seconds": 2.0},
                       {"round": 2, "greedy": r["greedy"], "rollout_tokens": 250, "train_seconds": 4.0}]
        recs.append(r)
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    assert summary.round_stats()["drift-r2"][1]["multi@1"].mean == 0.35
    files = write_results(summary, tmp_path / "t.md", title="T", command="c", config_yaml="", about={}, facts={})
    md, _, js, rounds_png = files
    text = md.read_text()
    assert "## Rounds (iterative DRIFT)" in text and "![multi@k by round](t_rounds.png)" in text
    assert "| drift-r2 | 1 | 0.350 ± 0.071 | 0.600 ± 0.000 | 100 ± 0 | 2 ± 0 |" in text
    assert "| drift-r2 | 2 | 0.500 ± 0.000 | 0.700 ± 0.000 | 250 ± 0 | 4 ± 0 |" in text
    assert rounds_png.name == "t_rounds.png" and rounds_png.read_bytes()[:4] == b"\x89PNG"
    assert json.loads(js.read_text())["records"][2]["rounds"][1]["rollout_tokens"] == 250
    plain = write_results(aggregate(recs[:2], list(arm_names()), 2), tmp_path / "p.md", title="T", command="c",
                          config_yaml="", about={}, facts={})
    assert len(plain) == 3 and "## Rounds" not in plain[0].read_text()  # no arm with rounds: no section, no plot
