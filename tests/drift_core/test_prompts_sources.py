import json

import pytest

from drift_core.config import PromptsConfig
from drift_core.errors import DriftError
from drift_core.prompts import load_prompts
from drift_core.prompts.arithmetic import generate


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_question_gold(tmp_path):
    f = write_jsonl(
        tmp_path / "p.jsonl", [{"id": "a", "question": "1+1?", "gold": "2"}, {"question": "2+2?", "gold": 4}]
    )
    rows = load_prompts(PromptsConfig(source="file", path=str(f), split="train"))
    assert rows[0] == {
        "prompt_id": "a",
        "split": "train",
        "question": "1+1?",
        "gold": "2",
        "source": str(f),
        "difficulty": None,
    }
    assert rows[1]["prompt_id"] == "p-1" and rows[1]["gold"] == "4"


def test_metamathqa_query_response(tmp_path):
    rec = {"query": "What is 3*3?", "response": "3 times 3 is 9.\nThe answer is: 9", "type": "MATH_x"}
    f = write_jsonl(tmp_path / "m.jsonl", [rec, {**rec, "type": "GSM_y", "query": "other"}])
    rows = load_prompts(PromptsConfig(source="file", path=str(f), filter_prefix="MATH_"))
    assert [(r["question"], r["gold"]) for r in rows] == [("What is 3*3?", "9")]


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "p.parquet"
    pq.write_table(pa.table({"prompt_id": ["x"], "problem": ["2-1?"], "answer": ["1"]}), f)
    rows = load_prompts(PromptsConfig(source="file", path=str(f)))
    assert (rows[0]["prompt_id"], rows[0]["question"], rows[0]["gold"]) == ("x", "2-1?", "1")


def test_hf_dataset_from_a_local_dataset_dir(tmp_path):
    # The real `datasets.load_dataset(name)` path, on a local dataset directory instead of the hub.
    d = tmp_path / "my_dataset"
    d.mkdir()
    write_jsonl(
        d / "test.jsonl", [{"unique_id": f"u{i}", "problem": f"{i}+1?", "answer": str(i + 1)} for i in range(5)]
    )
    rows = load_prompts(PromptsConfig(source="hf", path=str(d), split="test", limit=3))
    assert [r["prompt_id"] for r in rows] == ["u0", "u1", "u2"]
    assert rows[2]["gold"] == "3" and rows[0]["split"] == "test"


def test_arithmetic_generator_is_deterministic_and_exact():
    a = load_prompts(PromptsConfig(source="arithmetic", count=30, levels=[1, 4, 5], seed=3))
    b = load_prompts(PromptsConfig(source="arithmetic", count=30, levels=[1, 4, 5], seed=3))
    assert a == b and len({r["prompt_id"] for r in a}) == 30
    for p in generate(50, [1, 2, 3, 4, 5, 6, 7, 8], seed=1):
        assert int(p["gold"]) == eval(f"{p['a']} {p['op']} {p['b']}")


@pytest.mark.parametrize(
    "lines,match",
    [
        (['{"question": "q", "gold": "1"}', "{not json"], r"p\.jsonl:2: malformed JSON"),
        (['{"question": "q"}'], r"p\.jsonl:1: prompt without gold"),
        (['{"question": "  ", "gold": "1"}'], r"p\.jsonl:1: empty or missing question"),
        (['{"id": 1, "question": "a", "gold": "1"}', '{"id": 1, "question": "b", "gold": "2"}'], "duplicate prompt_id"),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, lines, match):
    f = tmp_path / "p.jsonl"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(DriftError, match=match):
        load_prompts(PromptsConfig(source="file", path=str(f)))


def test_missing_file(tmp_path):
    with pytest.raises(DriftError, match="prompt file not found"):
        load_prompts(PromptsConfig(source="file", path=str(tmp_path / "nope.jsonl")))
