"""Bad input through the real `drift` entry point: clear message, exit 1, existing tables unchanged."""

import json
import shutil

import duckdb
import pytest

from cli.testing import drift


def snapshot(ws):
    """What a user could see: row counts of every table and the set of shard files."""
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("prompts", "trajectories", "turns")}
    con.close()
    return counts, sorted(str(p.relative_to(ws)) for p in ws.glob("tables/**/*") if p.is_file())


@pytest.fixture()
def filled(tmp_path, random_model_dir):
    """A workspace with one finished rollout of 4 arithmetic prompts."""
    ws = tmp_path / "ws"
    rc = drift(
        "rollout",
        "-w",
        ws,
        "--model",
        random_model_dir,
        "--engine",
        "hf",
        "--n",
        "2",
        "--max-turns",
        "1",
        "--quiet",
        "--set",
        "prompts.source=arithmetic",
        "--set",
        "prompts.count=4",
        "--set",
        "rollout.max_new_tokens=4",
    )
    assert rc == 0
    return ws


def write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


CASES = {
    "missing file": (lambda d: d / "nope.jsonl", "prompt file not found"),
    "malformed line": (lambda d: write(d / "p.jsonl", ['{"question": "1+1?", "gold": "2"}', "{oops"]), "p.jsonl:2"),
    "no gold": (lambda d: write(d / "p.jsonl", ['{"question": "1+1?"}']), "p.jsonl:1: prompt without gold"),
    "empty question": (lambda d: write(d / "p.jsonl", ['{"question": "", "gold": "2"}']), "empty or missing question"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_prompt_files(filled, random_model_dir, tmp_path, capsys, case):
    make, message = CASES[case]
    before = snapshot(filled)
    path = make(tmp_path)
    rc = drift(
        "rollout",
        "-w",
        filled,
        "--model",
        random_model_dir,
        "--engine",
        "hf",
        "--quiet",
        "--set",
        "prompts.source=file",
        "--set",
        f"prompts.path={path}",
    )
    assert rc == 1
    assert message in capsys.readouterr().err
    assert snapshot(filled) == before


@pytest.mark.parametrize(
    "args,message",
    [
        (["--set", "rollout.bogus=1"], "unknown config key 'rollout.bogus'"),
        (["--max-turns", "0"], "protocol.max_turns"),
        (["--n", "0"], "rollout.n"),
        (["--engine", "nope"], "unknown engine 'nope' (choose one of auto, hf, vllm)"),  # from the registry
    ],
)
def test_bad_config(filled, random_model_dir, capsys, args, message):
    before = snapshot(filled)
    rc = drift("rollout", "-w", filled, "--model", random_model_dir, "--quiet", *args)
    assert rc == 1
    assert message in capsys.readouterr().err
    assert snapshot(filled) == before


def test_unknown_key_in_yaml(filled, tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"rollout": {"temprature": 0.7}}))
    assert drift("rollout", "-c", cfg, "-w", filled, "--quiet") == 1
    assert "unknown config key 'rollout.temprature'" in capsys.readouterr().err


def test_model_without_chat_template(filled, random_model_dir, tmp_path, capsys):
    broken = tmp_path / "model"
    shutil.copytree(random_model_dir, broken)
    (broken / "chat_template.jinja").unlink()
    before = snapshot(filled)
    rc = drift(
        "rollout",
        "-w",
        filled,
        "--model",
        broken,
        "--quiet",
        "--run-id",
        "other",
        "--set",
        "prompts.source=arithmetic",
        "--set",
        "prompts.count=2",
    )
    assert rc == 1
    assert "has no chat template" in capsys.readouterr().err
    assert snapshot(filled) == before
