"""`drift eval` through the real entry point: a table on success, a clear error on bad prompts."""

from __future__ import annotations

import json

import duckdb

from cli.testing import drift


def test_eval_prints_metrics_and_fills_tables(tmp_path, random_model_dir, capsys):
    prompts = tmp_path / "probe.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} + 1?", "answer": str(i + 1)})
                               + "\n" for i in range(3)))
    ws = tmp_path / "ws"
    rc = drift("eval", "-w", ws, "--model", random_model_dir, "--prompts", prompts, "--max-turns", 2,
               "--engine", "hf", "--quiet", "--set", "eval.max_new_tokens=3", "--eval-id", "probe")
    out = capsys.readouterr().out
    assert rc == 0 and "multi@2" in out and "mean_turns" in out
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    rows = con.execute("select dataset, count(*) from eval_trajectories where eval_id = 'probe' group by 1").fetchall()
    con.close()
    assert rows == [("probe", 3)]


def test_eval_prompts_without_gold(tmp_path, random_model_dir, capsys):
    prompts = tmp_path / "nogold.jsonl"
    prompts.write_text(json.dumps({"id": "q0", "question": "What is 1 + 1?"}) + "\n")
    rc = drift("eval", "-w", tmp_path / "ws", "--model", random_model_dir, "--prompts", prompts, "--quiet")
    err = capsys.readouterr().err
    assert rc == 1 and "nogold.jsonl:1" in err and "gold" in err


def test_eval_unknown_prompt_set(tmp_path, random_model_dir, capsys):
    rc = drift("eval", "-w", tmp_path / "ws", "--model", random_model_dir, "--prompts", "no-such-set")
    assert rc == 1 and "neither a named set" in capsys.readouterr().err
