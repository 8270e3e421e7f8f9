"""drift_core.stages.weights.config_rows: the training rows by key, or in the order their run stored them
(train.row_order 'stored', the reference's JSONL order; docs/reference-parity.md)."""

from __future__ import annotations

import json
import random

import pytest

from drift_core.config import WeightsConfig
from drift_core.errors import DriftError
from drift_core.jsonl_io import import_jsonl
from drift_core.stages.weights import config_rows, stored_order
from drift_core.testing.reference_records import records
from drift_core.weights import compute_weights


def test_an_imported_run_trains_in_its_files_line_order(workspace, tmp_path):
    recs = list(records(60, group=5, seed=2))  # prompts MATH_0 .. MATH_11: as text, MATH_10 sorts before MATH_2
    random.Random(3).shuffle(recs)  # lines in no sorted order, a prompt's samples apart
    path = tmp_path / "traj.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    run = import_jsonl(workspace, path).run_id
    compute_weights(workspace, WeightsConfig())
    seen: dict[str, int] = {}
    lines = []
    for r in recs:  # the import numbers a prompt's samples in line order
        lines.append((r["prompt_id"], seen.setdefault(r["prompt_id"], 0)))
        seen[r["prompt_id"]] += 1
    stored = config_rows(workspace, WeightsConfig(), run, order="stored")
    by_key = config_rows(workspace, WeightsConfig(), run)
    assert [(r["prompt_id"], r["sample_idx"]) for r in stored.to_pylist()] == lines
    assert [(r["prompt_id"], r["sample_idx"]) for r in by_key.to_pylist()] == sorted(lines) != lines
    assert stored.schema == by_key.schema  # the same rows, reordered
    assert sorted(map(str, stored.to_pylist())) == sorted(map(str, by_key.to_pylist()))


def test_rows_not_stored_by_the_run_are_an_error(workspace, tmp_path):
    for name in ("a", "b"):  # run b: other prompts
        recs = [{**r, "prompt_id": f"{name}-{r['prompt_id']}"} for r in records(10, group=5, seed=2)]
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    a = import_jsonl(workspace, tmp_path / "a.jsonl").run_id
    b = import_jsonl(workspace, tmp_path / "b.jsonl").run_id
    compute_weights(workspace, WeightsConfig(run_id=a))
    rows = config_rows(workspace, WeightsConfig(run_id=a), a)
    with pytest.raises(DriftError, match="10 training rows, 0 of them found"):
        stored_order(workspace, rows, b)
    with pytest.raises(DriftError, match="no stored trajectories of run 'c'"):
        stored_order(workspace, rows, "c")
