"""drift_core.compare: arms, gold-answer data, per-seed figures, mean ± std, Markdown, plots."""

from __future__ import annotations

import json
import math

import pytest

from drift_core.compare import (
    aggregate,
    arms,
    figures,
    gold_episodes,
    mean_std,
    sweep_grid,
    table_markdown,
    write_gold_run,
    write_results,
)
from drift_core.config import ProtocolConfig, WeightsConfig
from drift_core.config.compare import ARMS, CompareConfig, SweepConfig, split_overrides
from drift_core.errors import DriftError

PROMPTS = [{"prompt_id": "p1", "question": "12 + 5", "gold": "17", "split": "train", "source": "t"},
           {"prompt_id": "p2", "question": "40 - 52", "gold": "-12", "split": "train", "source": "t"}]


def test_default_arms_in_table_order_with_the_reference_weights():
    got = arms(CompareConfig())
    assert [a.name for a in got] == list(ARMS)
    by = {a.name: a for a in got}
    assert by["reference"].weights is None and by["reference"].data == "none"
    assert by["gold-sft"].data == "gold" and by["gold-sft"].weights.scheme == "uniform"
    assert (by["drift"].weights.beta, by["drift"].weights.gamma) == (0.1, 0.9)  # the reference's values
    ext = by["drift-ext"].weights
    assert ext.scheme == "drift-ext" and ext.beta == "auto" and ext.all_fail_zero is True
    assert {by[a].data for a in ("uniform", "rft", "drift", "drift-ext")} == {"rollout"}


def test_arms_follow_the_config_order_and_values():
    got = arms(CompareConfig(arms=["drift", "reference"], drift_beta=0.5, drift_gamma=1.0))
    assert [a.name for a in got] == ["drift", "reference"]
    assert (got[0].weights.beta, got[0].weights.gamma) == (0.5, 1.0)


def test_compare_config_rejects_unknown_arms_and_empty_seeds():
    with pytest.raises(ValueError):
        CompareConfig(arms=["ppo"])
    with pytest.raises(ValueError):
        CompareConfig(seeds=[])


def test_gold_episodes_are_single_turn_successes_in_the_rollout_format():
    eps = gold_episodes(PROMPTS, ProtocolConfig())
    assert [e.t_star for e in eps] == [1, 1]
    assert [m["role"] for m in eps[0].messages] == ["system", "user", "assistant"]
    assert eps[1].messages[-1]["content"] == "<answer>-12</answer>"
    assert "40 - 52" in eps[1].messages[1]["content"]


def test_gold_episodes_with_think_format():
    eps = gold_episodes(PROMPTS[:1], ProtocolConfig(think=True))
    assert eps[0].t_star == 1
    assert eps[0].messages[-1]["content"].endswith("<answer>17</answer>")


def test_gold_run_trains_through_the_weights_stage(workspace):
    from drift_core.weights import compute_weights, training_set

    run_id, n = write_gold_run(workspace, PROMPTS, ProtocolConfig())
    assert n == 2 and run_id.startswith("gold-")
    compute_weights(workspace, WeightsConfig(scheme="uniform"), run_id)
    con = workspace.connect(read_only=True)
    try:
        rows = training_set(con, run_id=run_id, scheme="uniform", gamma=0.9, beta=0.1).to_pylist()
        policy = con.execute("select distinct policy from trajectories where run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    assert [r["weight"] for r in rows] == [1.0, 1.0]
    assert [r["messages"][-1]["content"] for r in rows] == ["<answer>17</answer>", "<answer>-12</answer>"]
    assert policy == [("gold",)]


def test_figures_pick_the_table_columns():
    m = {"multi@1": 0.5, "multi@2": 0.75, "repeat_share": 0.2, "turn_acc@1": 0.5, "correction_rate": 0.5}
    got = figures(m, max_turns=2)
    assert got == {"multi@1": 0.5, "multi@2": 0.75, "correction_rate": 0.5, "repeat_share": 0.2}


def test_mean_std_is_the_sample_std():
    s = mean_std([0.2, 0.4, None])
    assert s.mean == pytest.approx(0.3)
    assert s.std == pytest.approx(math.sqrt(((0.1**2) * 2) / 1))  # sum of squares / (n - 1)
    assert s.n == 2
    assert mean_std([0.5]).std == 0.0
    assert mean_std([None]).mean is None and mean_std([None]).fmt() == "–"


def record(arm, seed, m1, m2, t1=True):
    f = {"multi@1": m1, "multi@2": m2, "correction_rate": 0.5, "repeat_share": 0.1}
    return {"arm": arm, "seed": seed, "greedy": f, "t1": dict(f) if t1 else None,
            "train_seconds": 10.0 + seed, "rollout_tokens": 1000 if arm != "reference" else 0}


def test_aggregate_and_markdown_one_row_per_arm():
    recs = [record("reference", s, 0.5, 0.7) for s in (0, 1)] + [record("drift", 0, 0.6, 0.8),
                                                                 record("drift", 1, 0.4, 0.9)]
    summary = aggregate(recs, list(ARMS), max_turns=2)
    assert summary.arms == ["reference", "drift"] and summary.seeds == [0, 1]
    d = summary.stats["drift"]["greedy"]
    assert d["multi@1"].mean == pytest.approx(0.5) and d["multi@1"].std == pytest.approx(math.sqrt(0.02))
    assert d["train_seconds"].mean == pytest.approx(10.5)
    lines = table_markdown(summary, "greedy").splitlines()
    assert lines[0] == ("| arm | multi@1 | multi@2 | correction rate | repeated answers | train time (s) | "
                        "rollout tokens |")
    assert lines[2].startswith("| reference | 0.500 ± 0.000 | 0.700 ± 0.000 |")
    assert lines[3].startswith("| drift | 0.500 ± 0.141 | 0.850 ± 0.071 |")
    assert lines[3].endswith("| 10 ± 1 | 1,000 ± 0 |")
    flat = summary.flat_metrics()
    assert flat["drift.greedy.multi@1_mean"] == pytest.approx(0.5)
    assert "drift.t1.multi@2_std" in flat


def test_write_results_page_plot_and_json(tmp_path):
    recs = [record("reference", s, 0.5, 0.7, t1=False) for s in (0, 1)]
    summary = aggregate(recs, list(ARMS), max_turns=2)
    files = write_results(summary, tmp_path / "r" / "t.md", title="T", command="drift compare", config_yaml="a: 1\n",
                          about={"reference": "no training"}, facts={"data": "2 prompts"})
    md, png, js = files
    text = md.read_text()
    assert "```bash\ndrift compare\n```" in text and "- data: 2 prompts" in text and "a: 1" in text
    assert "Sampled at T=1" not in text  # no sampled evaluation in these records
    assert png.read_bytes()[:4] == b"\x89PNG" and js.exists()


def test_sweep_grid_and_config_checks():
    grid = sweep_grid(SweepConfig(betas=[0.1, 1.0], gammas=[0.5, 0.9]))
    assert [label for label, _ in grid] == ["b0.1-g0.5", "b0.1-g0.9", "b1-g0.5", "b1-g0.9"]
    assert grid[2][1] == WeightsConfig(scheme="drift", beta=1.0, gamma=0.5)
    with pytest.raises(ValueError):
        SweepConfig(betas=[0.0])
    with pytest.raises(ValueError):
        SweepConfig(gammas=[1.5])


def test_split_overrides_sends_a_section_to_its_model():
    rest, mine = split_overrides(["compare.seeds=[0,1]", "train.learning_rate=1e-5", "compare.arms=[drift]"],
                                 "compare")
    assert rest == ["train.learning_rate=1e-5"]
    assert CompareConfig.model_validate(mine).seeds == [0, 1]
    with pytest.raises(DriftError):
        split_overrides(["compare.seeds"], "compare")


def test_plots_write_pngs(tmp_path):
    from drift_core.plots import multi_at_k_by_arm, sweep_heatmap

    p = multi_at_k_by_arm({"greedy": {"a": [(0.1, 0.01), (0.2, 0.02)], "b": [(0.3, 0.0), (None, None)]}},
                          tmp_path / "m.png", title="x")
    h = sweep_heatmap({"multi@1": [[0.1, None], [0.3, 0.4]]}, [0.1, 1.0], [0.5, 0.9], tmp_path / "h.png")
    assert p.read_bytes()[:4] == b"\x89PNG" and h.read_bytes()[:4] == b"\x89PNG"


def test_reading_lines_call_differences_only_beyond_noise():
    from drift_core.compare import reading_lines

    recs = []
    for s in (0, 1, 2):
        for arm, m1 in (("reference", 0.50), ("uniform", 0.52), ("drift", 0.70)):
            r = record(arm, s, m1, 0.9, t1=False)
            r["test_problems"] = 500  # Wilson half-width near 0.5 on 500 problems: 0.044
            recs.append(r)
    lines = reading_lines(aggregate(recs, list(ARMS), max_turns=2), arms_of_interest=("drift",))
    assert lines[0] == ("- greedy multi@1: `drift` 0.700 (best: `drift` 0.700); "
                        "vs reference +0.200 (higher), uniform +0.180 (higher)")
    assert "reference +0.000 (within noise)" in lines[1]


def test_choose_takes_the_best_validation_figure_ties_to_the_earlier_value():
    from drift_core.compare import choose

    assert choose({1e-5: 0.40, 3e-5: 0.55, 1e-4: 0.50}) == 3e-5
    assert choose({1e-5: 0.50, 3e-5: 0.50, 1e-4: 0.40}) == 1e-5  # tie: the earlier grid value
    assert choose({1e-5: None, 3e-5: 0.10}) == 3e-5  # a missing figure never wins
    assert choose({1e-5: None, 3e-5: None}) == 1e-5


def test_the_selection_section_names_every_arm_its_scores_and_the_choice():
    from drift_core.compare import Selection, selection_markdown

    lines = selection_markdown([Selection("drift", "multi@5", {1e-5: 0.4, 1e-4: None}, 1e-5, 300),
                                Selection("rft", "multi@5", {1e-5: 0.3, 1e-4: 0.35}, 1e-4, 300)])
    text = "\n".join(lines)
    assert "| drift | 0.400 | – | 1e-05 |" in text and "| rft | 0.300 | 0.350 | 0.0001 |" in text
    assert "300 validation problems" in text and "validation multi@5" in text
    assert selection_markdown([]) == []


def hidden_record(arm, seed, m1, m2, elim):
    """A record of a test set with hidden-option items: optimum@k 0.625 / 0.75 (same for every arm)."""
    f = {"multi@1": m1, "multi@2": m2, "correction_rate": 0.5, "repeat_share": 0.1, "elimination": elim,
         "optimum@1": 0.625, "optimum@2": 0.75, "optimum_share@1": m1 / 0.625, "optimum_share@2": m2 / 0.75}
    return {"arm": arm, "seed": seed, "greedy": f, "t1": dict(f), "train_seconds": 1.0, "rollout_tokens": 10}


def test_figures_carry_the_optimum_and_elimination_on_hidden_items():
    m = {"multi@1": 0.5, "multi@2": 0.6, "repeat_share": 0.2, "elimination": 0.7, "optimum@1": 0.625,
         "optimum@2": 0.75, "optimum_share@1": 0.8, "optimum_share@2": 0.8}
    got = figures(m, max_turns=2)
    assert got["elimination"] == 0.7 and got["optimum@2"] == 0.75 and got["optimum_share@1"] == 0.8


def test_results_with_hidden_items_show_the_ceiling_everywhere(tmp_path):
    recs = [hidden_record("reference", s, 0.5, 0.55, 0.4) for s in (0, 1)] + [
        hidden_record("drift", s, 0.6, 0.7, 0.9) for s in (0, 1)]
    summary = aggregate(recs, list(ARMS), max_turns=2)
    assert summary.optimum() == [0.625, 0.75]
    lines = table_markdown(summary, "greedy").splitlines()
    assert lines[0].startswith("| arm | multi@1 | multi@2 | elimination | correction rate |")
    assert lines[-1] == "| optimum (elimination) | 0.625 | 0.750 | 1.000 | – | – | – | – |"
    md, png, js = write_results(summary, tmp_path / "t.md", title="T", command="drift compare", config_yaml="a: 1\n",
                                about={}, facts={})
    text = md.read_text()
    assert "## Share of the optimum" in text
    assert "| drift | 0.960 ± 0.000 | 0.933 ± 0.000 |" in text  # 0.6 / 0.625, 0.7 / 0.75
    assert json.loads(js.read_text())["optimum"] == {"multi@1": 0.625, "multi@2": 0.75}
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_results_without_hidden_items_have_no_ceiling_rows(tmp_path):
    summary = aggregate([record("drift", 0, 0.6, 0.8)], list(ARMS), max_turns=2)
    assert summary.optimum() is None and "elimination" not in table_markdown(summary, "greedy")
    md, _, js = write_results(summary, tmp_path / "t.md", title="T", command="c", config_yaml="", about={}, facts={})
    assert "Share of the optimum" not in md.read_text()
    assert json.loads(js.read_text())["optimum"] == {}
