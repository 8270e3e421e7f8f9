"""A named multiple-choice set is scored under its own instruction on every path that evaluates it:
`drift eval`, the pipeline flow (`drift run`) and the comparison flow (`drift compare`), on a local
copy of GPQA. The prompts the model saw are read back from eval_trajectories and compared."""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from cli.testing import drift
from drift_core.prompts.benchmarks import MC_INSTRUCTION

pytestmark = pytest.mark.slow

GPQA = [{"Question": q, "Correct Answer": right, "Incorrect Answer 1": "Iron", "Incorrect Answer 2": "Carbon",
         "Incorrect Answer 3": "Sodium", "Record ID": f"rec{i}"}
        for i, (q, right) in enumerate([("Which is a noble gas?", "Neon"), ("Which is a halogen?", "Chlorine")])]
SMALL = ["protocol.max_turns=1", "eval.max_new_tokens=3", "eval.engine=hf", "rollout.n=1", "rollout.max_new_tokens=3",
         "prompts.source=arithmetic", "prompts.count=2", "prompts.levels=[1]", "train.max_steps=1",
         "train.per_device_train_batch_size=2", "registry.enabled=false"]


def seen_prompts(ws) -> dict[str, set[str]]:
    """eval_id -> the first user messages of its problems (what the model was asked)."""
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        rows = con.execute("select eval_id, messages[2].content from eval_trajectories").fetchall()
    finally:
        con.close()
    out: dict[str, set[str]] = {}
    for eval_id, text in rows:
        out.setdefault(eval_id, set()).add(text)
    return out


def test_gpqa_gets_the_multiple_choice_instruction_on_every_path(tmp_path, random_model_dir, prefect_server):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from drift_core.config import load_config
    from drift_core.config.compare import CompareConfig
    from flows.compare import drift_compare
    from flows.drift_pipeline import drift_pipeline

    copy = tmp_path / "gpqa.jsonl"
    copy.write_text("".join(json.dumps(r) + "\n" for r in GPQA))
    paths = {}
    # drift eval --prompts gpqa --local-copy FILE
    ws = tmp_path / "eval"
    assert drift("eval", "-w", ws, "--model", random_model_dir, "--prompts", "gpqa", "--local-copy", copy,
                 "--quiet", *[a for s in SMALL for a in ("--set", s)]) == 0
    paths["drift eval"] = seen_prompts(ws)
    # drift run / drift compare --set eval_prompts.source=benchmark --set eval_prompts.benchmark=gpqa ...
    sets = [*SMALL, f"rollout.model={random_model_dir}", "eval_prompts.source=benchmark",
            "eval_prompts.benchmark=gpqa", f"eval_prompts.path={copy}"]
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
            drift_pipeline(config=load_config(None, [*sets, f"workspace={tmp_path / 'run'}"]))
            paths["drift run"] = seen_prompts(tmp_path / "run")
            reference_only = CompareConfig(arms=["reference"], seeds=[0], sampled=False,
                                           output=str(tmp_path / "cmp" / "table.md"))
            drift_compare(load_config(None, [*sets, f"workspace={tmp_path / 'cmp'}"]), reference_only)
            paths["drift compare"] = seen_prompts(tmp_path / "cmp")
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved

    instruction = MC_INSTRUCTION.format(letters="A-D")
    seen = {}
    for path, evals in paths.items():
        assert evals, f"{path}: no evaluation stored"
        for eval_id, texts in evals.items():
            assert len(texts) == len(GPQA), (path, eval_id)
            assert all(t.startswith(instruction) for t in texts), (path, eval_id, texts)
            seen[(path, eval_id)] = texts
    assert len({frozenset(t) for t in seen.values()}) == 1  # every path asked the same questions, same words
