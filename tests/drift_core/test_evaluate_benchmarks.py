"""Named evaluation sets: the real `datasets` loading path on local files shaped like each set."""

from __future__ import annotations

import json

import pytest

from drift_core.config import PromptsConfig
from drift_core.errors import DriftError
from drift_core.prompts import load_prompts
from drift_core.prompts.benchmarks import BENCHMARKS, get_benchmark, last_boxed, load_benchmark

# one record per set, with the field names and types of the hub copies
RECORDS = {
    "math500": {"problem": "Compute $1+1$.", "solution": "... $\\boxed{2}$", "answer": "2",
                "subject": "Algebra", "level": 1, "unique_id": "test/algebra/1.json"},
    "hendrycks_math": {"problem": "Simplify $\\frac{2}{4}$.", "level": "Level 3", "type": "Algebra",
                       "solution": "We get $\\boxed{\\frac{1}{2}}$."},
    "theoremqa": {"Question": "What is 3!?", "Answer": "6", "Answer_type": "integer", "Picture": None,
                  "id": "tq-1"},
    "gpqa": {"Question": "Which is a noble gas?", "Correct Answer": "Neon", "Incorrect Answer 1": "Iron",
             "Incorrect Answer 2": "Carbon", "Incorrect Answer 3": "Sodium", "Record ID": "rec1"},
    "mmlu-redux": {"question": "2 + 2 = ?", "choices": ["3", "4", "5", "6"], "answer": 1,
                   "error_type": "ok"},
    "mmlu-pro": {"question_id": 70, "question": "Pick J.", "options": [str(i) for i in range(10)],
                 "answer": "J", "answer_index": 9, "category": "math"},
}


def write(tmp_path, name, recs):
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_every_named_set_has_a_record_shape():
    assert set(RECORDS) == set(BENCHMARKS)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_local_copy_maps_question_and_gold(tmp_path, name):
    (row,) = load_benchmark(name, path=str(write(tmp_path, name, [RECORDS[name]])))
    assert row["prompt_id"].startswith(f"{name}-") and row["source"] == name
    assert row["split"] == get_benchmark(name).split
    expected_gold = {"math500": "2", "hendrycks_math": "\\frac{1}{2}", "theoremqa": "6", "mmlu-redux": "B",
                     "mmlu-pro": "J"}
    if name == "gpqa":  # options shuffled by a hash of the question; gold is the letter of 'Neon'
        letter = row["gold"]
        assert f"{letter}. Neon" in row["question"].splitlines()
    else:
        assert row["gold"] == expected_gold[name]
    if get_benchmark(name).multiple_choice:
        lines = row["question"].splitlines()
        assert lines[1].startswith("A. ") and "between <answer> and </answer>" in get_benchmark(name).instruction


def test_gpqa_order_is_stable(tmp_path):
    path = write(tmp_path, "gpqa", [RECORDS["gpqa"]])
    assert load_benchmark("gpqa", path=str(path)) == load_benchmark("gpqa", path=str(path))


def test_record_without_gold_names_the_row(tmp_path):
    rec = dict(RECORDS["hendrycks_math"], solution="no boxed answer here")
    path = write(tmp_path, "hm", [RECORDS["hendrycks_math"], rec])
    with pytest.raises(DriftError, match=r"hm.jsonl row 1: no gold answer"):
        load_benchmark("hendrycks_math", path=str(path))


def test_aliases_unknown_and_prompt_source(tmp_path):
    assert get_benchmark("MATH-500").name == "math500" and get_benchmark("mmlu_pro").name == "mmlu-pro"
    with pytest.raises(DriftError, match="unknown evaluation set"):
        get_benchmark("nope")
    path = write(tmp_path, "m", [RECORDS["math500"], dict(RECORDS["math500"], unique_id="x")])
    rows = load_prompts(PromptsConfig(source="benchmark", benchmark="math500", path=str(path), limit=1))
    assert len(rows) == 1


def test_last_boxed_balances_braces():
    assert last_boxed("a \\boxed{1} then \\boxed{\\frac{3}{4}} end") == "\\frac{3}{4}"
    assert last_boxed("none") is None
