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


# -- the reference's prompt subset: filter 'MATH_', datasets' shuffle(seed=42), the first N -------------------
def metamath_like(tmp_path, n=60):
    """MetaMathQA-shaped rows (query, response, type) with an id; every third is GSM_ (filtered out)."""
    rows = [{"id": f"m{i}", "query": f"What is {i} + 1?", "response": f"Add one.\nThe answer is: {i + 1}",
             "type": "GSM_Rephrased" if i % 3 == 0 else "MATH_AnsAug"} for i in range(n)]
    return write_jsonl(tmp_path / "metamath.jsonl", rows)


def reference_ids(path, n_first: int, seed: int = 42) -> list[str]:
    """What the reference's generator keeps: load, filter on type, datasets' shuffle(seed), first N."""
    import datasets

    ds = datasets.load_dataset("json", data_files=str(path), split="train")
    ds = ds.filter(lambda ex: str(ex.get("type", "")).startswith("MATH_"))
    return ds.shuffle(seed=seed).select(range(n_first))["id"]


def test_datasets_order_is_numpys_permutation():
    import numpy as np

    from drift_core.prompts.sources import datasets_order

    # datasets.Dataset.shuffle(seed) = the rows in np.random.default_rng(seed).permutation(n) order
    assert datasets_order(25, 42) == np.random.default_rng(42).permutation(25).tolist()
    assert datasets_order(25, 42) != list(range(25))


@pytest.mark.parametrize("source", ["file", "hf"])
def test_datasets_shuffle_mode_selects_the_references_prompts(tmp_path, source):
    f = metamath_like(tmp_path)
    if source == "hf":  # the same file as a local dataset directory, loaded through datasets.load_dataset
        d = tmp_path / "ds"
        d.mkdir()
        f = f.rename(d / "train.jsonl")
    cfg = PromptsConfig(source=source, path=str(f if source == "file" else f.parent), filter_prefix="MATH_",
                        shuffle=True, shuffle_mode="datasets", seed=42, limit=18)
    rows = load_prompts(cfg)
    assert [r["prompt_id"] for r in rows] == reference_ids(f, 18)  # same prompts, same order
    assert all(int(r["prompt_id"][1:]) % 3 for r in rows)  # filtered before shuffling: no GSM_ row
    python_mode = load_prompts(cfg.model_copy(update={"shuffle_mode": "python"}))
    assert [r["prompt_id"] for r in python_mode] != [r["prompt_id"] for r in rows]  # the default differs


def test_datasets_shuffle_mode_on_a_benchmark_copy(tmp_path):
    import datasets

    f = write_jsonl(tmp_path / "math500.jsonl",
                    [{"unique_id": f"u{i}", "problem": f"{i}+1?", "answer": str(i + 1)} for i in range(30)])
    rows = load_prompts(PromptsConfig(source="benchmark", benchmark="math500", path=str(f), shuffle=True,
                                      shuffle_mode="datasets", limit=7))
    expected = datasets.load_dataset("json", data_files=str(f), split="train").shuffle(seed=42).select(range(7))
    assert [r["prompt_id"] for r in rows] == [f"math500-{u}" for u in expected["unique_id"]]


def test_datasets_shuffle_mode_needs_shuffle():
    with pytest.raises(ValueError, match="set shuffle: true"):
        PromptsConfig(source="file", path="x.jsonl", shuffle_mode="datasets")
