"""flows/compare.py's default-size estimate, fed the committed default-size answer run (its config and records)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from drift_core.config import load_config
from drift_core.config.compare import ANSWER_ARMS, ANSWER_PIPELINE, DEFAULT_PIPELINE, CompareConfig
from flows.compare import default_size_estimate

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


PAGES = [("tiny_world_answer", "arithmetic"), ("tiny_world_choice_answer", "choice")]


@pytest.mark.parametrize(("page", "task"), PAGES)
def test_a_default_size_answer_run_is_its_own_target_shape(page, task):
    """The answer run at the default size is what the estimate's target describes: same shapes (its online batch
    included), so the estimate is no 'rough figure', and it gives the run's own wall time back (to the printed
    0.1 min: each unit charged at its measured rate, later rounds' rollouts at theirs)."""
    data = json.loads((RESULTS / f"{page}.json").read_text())
    cfg = load_config(None, [*DEFAULT_PIPELINE, *ANSWER_PIPELINE, f"tiny_world.task={task}"])
    compare = CompareConfig(arms=ANSWER_ARMS)
    minutes = float(data["facts"]["wall time"].split(" min")[0])
    counts = [SimpleNamespace(metrics={"prompts": n}) for n in (600, 300, 500)]
    text = default_size_estimate(cfg, compare, data["records"], minutes * 60, *counts)
    assert "at the same shapes" in text and "rough figure" not in text, text
    assert abs(float(text.split(" min")[0]) - minutes) <= 0.1 + 1e-9, (text, minutes)
