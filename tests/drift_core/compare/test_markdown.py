"""drift_core/compare/markdown.py: the result tables, the ceiling rows, the selection section and the reading."""

from __future__ import annotations

from drift_core.compare.arms import arm_names
from drift_core.compare.markdown import cost_markdown, reading_lines, selection_markdown, table_markdown
from drift_core.compare.selection import Selection
from drift_core.compare.summary import aggregate
from tests.drift_core.compare.records import hidden_record, record


def test_markdown_one_row_per_arm():
    recs = [record("reference", s, 0.5, 0.7) for s in (0, 1)] + [record("drift", 0, 0.6, 0.8),
                                                                 record("drift", 1, 0.4, 0.9)]
    lines = table_markdown(aggregate(recs, list(arm_names()), max_turns=2), "greedy").splitlines()
    assert lines[0] == "| arm | multi@1 | multi@2 | correction rate | repeated answers |"
    assert lines[2].startswith("| reference | 0.500 ± 0.000 | 0.700 ± 0.000 |")
    assert lines[3] == "| drift | 0.500 ± 0.141 | 0.850 ± 0.071 | 0.500 ± 0.000 | 0.100 ± 0.000 |"


def test_cost_table_has_every_arm_in_the_same_units():
    recs = [record("reference", s, 0.5, 0.7) for s in (0, 1)] + [record("drift", s, 0.6, 0.8) for s in (0, 1)]
    for r in recs[2:]:
        r |= {"trained_tokens": 500 + r["seed"], "generation_seconds": 4.0, "peak_rss_gib": 1.5 + r["seed"]}
    lines = cost_markdown(aggregate(recs, list(arm_names()), max_turns=2))
    at = lines.index("| arm | generated tokens | trained tokens | generation time (s) | train time (s) | "
                     "peak RSS (GiB) |")
    assert lines[at + 2] == "| reference | 0 ± 0 | – | – | 10 ± 1 | – |"  # no training, no stage of its own
    assert lines[at + 3] == "| drift | 1,000 ± 0 | 500 ± 1 | 4 ± 0 | 10 ± 1 | 2.00 ± 0.71 |"


def test_reading_lines_call_differences_only_beyond_noise():
    recs = []
    for s in (0, 1, 2):
        for arm, m1 in (("reference", 0.50), ("uniform", 0.52), ("drift", 0.70)):
            r = record(arm, s, m1, 0.9, t1=False)
            r["test_problems"] = 500  # Wilson half-width near 0.5 on 500 problems: 0.044
            recs.append(r)
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    lines = reading_lines(summary, arms_of_interest=("drift",))
    assert lines[0] == ("- greedy multi@1: `drift` 0.700 (best: `drift` 0.700); "
                        "vs reference +0.200 (higher), uniform +0.180 (higher)")
    assert "reference +0.000 (within noise)" in lines[1]
    assert reading_lines(summary) == lines  # by default the registry's reading arms (drift, drift-ext)


def test_the_selection_section_names_every_arm_its_scores_and_the_choice():
    lines = selection_markdown([Selection("drift", "multi@5", {1e-5: 0.4, 1e-4: None}, 1e-5, 300),
                                Selection("rft", "multi@5", {1e-5: 0.3, 1e-4: 0.35}, 1e-4, 300)])
    text = "\n".join(lines)
    assert "| drift | 0.400 | – | 1e-05 |" in text and "| rft | 0.300 | 0.350 | 0.0001 |" in text
    assert "300 validation problems" in text and "validation multi@5" in text
    assert selection_markdown([]) == []


def test_hidden_items_add_the_elimination_column_and_the_ceiling_row():
    recs = [hidden_record("reference", s, 0.5, 0.55, 0.4) for s in (0, 1)] + [
        hidden_record("drift", s, 0.6, 0.7, 0.9) for s in (0, 1)]
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    assert summary.optimum() == [0.625, 0.75]
    lines = table_markdown(summary, "greedy").splitlines()
    assert lines[0].startswith("| arm | multi@1 | multi@2 | elimination | correction rate |")
    assert lines[-1] == "| optimum (elimination) | 0.625 | 0.750 | 1.000 | – | – |"
    summary = aggregate([record("drift", 0, 0.6, 0.8)], list(arm_names()), max_turns=2)
    assert summary.optimum() is None and "elimination" not in table_markdown(summary, "greedy")
