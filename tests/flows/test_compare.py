"""`drift compare --quick` and `drift sweep --quick` as flows, against a real Prefect server and MLflow SQLite.

One workspace holds the `test` tiny world. The comparison runs every quick arm with two seeds; a second,
narrower comparison (one arm, one seed) and the sweep then reuse its cached rollout and stages (the runs:
tests/flows/conftest.py, shared with the online-grpo and rounds tests).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drift_core.config.compare import QUICK_ARMS as ARMS
from drift_core.store import Workspace

pytestmark = pytest.mark.slow
SFT = [a for a in ARMS if a not in ("reference", "online-grpo")]  # the weighted-SFT arms (drift-r2 included)


@pytest.fixture(scope="module")
def runs(quick_compare):
    return quick_compare


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    block = markdown.split(heading, 1)[1].split("\n\n", 2)[1]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()]


def test_every_arm_and_seed_ran_as_its_own_stages(runs):
    states = runs["full"]["states"]
    for seed in (0, 1):
        for arm in ARMS:
            assert states[f"eval.{arm}.s{seed}"] in ("Completed", "Cached")
            assert states[f"eval-t1.{arm}.s{seed}"] == "Completed"  # seeded sampling: one per seed
            assert (f"train.{arm}.s{seed}" in states) == (arm in SFT)
            assert (f"grpo.{arm}.s{seed}" in states) == (arm == "online-grpo")
    # the reference's greedy evaluation is the same task for every seed: computed once, then Cached
    assert states["eval.reference.s0"] == "Completed" and states["eval.reference.s1"] == "Cached"
    assert {states[k] for k in ("rollout", "gold-sft-data", "weights.drift", "weights.gold-sft")} == {"Completed"}


def test_same_training_budget_for_every_arm(runs):
    steps = runs["compare"].max_steps
    trained = {r["model"] for r in runs["full"]["records"] if r["arm"] in SFT}
    assert len(trained) == 2 * len(SFT)  # each weighted-SFT arm x 2 seeds, its own model (online-grpo: its test)
    for model in trained:
        summary = json.loads((Path(Workspace(runs["ws"]).resolve(model)) / "drift_train.json").read_text())
        assert summary["global_step"] == steps
        assert summary["config"]["per_device_train_batch_size"] == 4


def test_table_has_one_row_per_arm_with_mean_and_std(runs):
    md = runs["out"].read_text()
    assert "drift compare --quick" in md
    rows = table_rows(md, "## Greedy decoding")
    assert rows[0] == ["arm", "multi@1", "multi@2", "multi@3", "correction rate", "repeated answers"]
    assert [r[0] for r in rows[2:]] == ARMS
    assert all("±" in c for r in rows[2:] for c in r[1:])
    cost = table_rows(md, "Cached stages report what they cost when they ran.")  # the ## Cost table
    assert cost[0] == ["arm", "generated tokens", "trained tokens", "generation time (s)", "train time (s)",
                       "peak RSS (GiB)"]
    assert [r[0] for r in cost[2:]] == ARMS
    assert cost[2][1:] == ["0 ± 0", "0 ± 0", "0 ± 0", "0 ± 0", "–"]  # the reference: no training, no rollout
    by_arm = {r[0]: r for r in cost[2:]}
    for arm in ARMS[1:]:  # every other arm generated (gold-sft: no), trained and has a peak
        assert by_arm[arm][2] != "0 ± 0" and by_arm[arm][5] != "–", arm
        assert (by_arm[arm][1] == "0 ± 0") == (arm == "gold-sft"), arm
    assert [r[0] for r in table_rows(md, "## Sampled at T=1")[2:]] == ARMS
    assert "compare:" in md.split("## Config", 1)[1]  # the resolved config, compare section included
    png = runs["out"].with_suffix(".png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_learning_rates_are_chosen_on_validation_and_used_for_every_seed(runs):
    """compare.lr_grid: each trained arm's value picked by validation multi@3 (seed 0), then used on test."""
    from drift_core.compare.selection import choose

    grid = runs["compare"].lr_grid
    selections = {s["arm"]: s for s in json.loads(runs["out"].with_suffix(".json").read_text())["selections"]}
    assert set(selections) == set(ARMS) - {"reference"}
    for arm, sel in selections.items():
        assert list(sel["scores"]) == [f"{lr:g}" for lr in grid] and sel["metric"] == "multi@3"
        scores = {float(k): v for k, v in sel["scores"].items()}
        assert sel["chosen"] == choose(scores)
        used = {r["learning_rate"] for r in runs["full"]["records"] if r["arm"] == arm}
        assert used == {sel["chosen"]}  # the same value for every seed
        assert sel["validation_problems"] > 0
    assert runs["full"]["states"]["validation-prompts"] in ("Completed", "Cached")
    md = runs["out"].read_text()
    assert "## Settings chosen on validation" in md and "| chosen |" in md


def test_rerun_of_a_subset_is_cached(runs):
    states = runs["narrow"]["states"]
    costly = ["rollout", "weights.drift", "train.drift.s0", "eval.drift.s0", "eval-t1.drift.s0"]
    assert {k: states[k] for k in costly} == dict.fromkeys(costly, "Cached")


def test_sweep_maps_weights_train_and_eval_over_the_grid(runs):
    states = runs["sweep"]["states"]
    assert states["rollout"] == "Cached"  # the comparison's rollout
    for label in ("b0.1-g0.9", "b1-g0.9"):
        for stage in ("weights", "train", "eval"):
            assert states[f"{stage}.{label}"] in ("Completed", "Cached")
    md_path, png_path = (Path(f) for f in runs["sweep"]["files"][:2])
    md = md_path.read_text()
    assert "| beta \\ gamma | 0.9 |" in md and "| 0.1 |" in md and "| 1 |" in md
    assert png_path.read_bytes()[:4] == b"\x89PNG"


def test_mlflow_runs_per_arm_and_seed(runs):
    import mlflow
    from mlflow.tracking import MlflowClient

    from tasks.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(runs["ws"]))
    client = MlflowClient()
    parent = client.get_run(runs["full"]["mlflow_run_id"])
    assert "drift.greedy.multi_at_1_mean" in parent.data.metrics
    assert "gold-sft.t1.correction_rate_std" in parent.data.metrics
    exp = [parent.info.experiment_id]
    arm_runs = client.search_runs(exp, f"tags.mlflow.parentRunId = '{parent.info.run_id}' and tags.`drift.arm` != ''")
    selection_runs = [r for r in arm_runs if r.data.tags.get("drift.purpose") == "validation"]
    assert len(selection_runs) == (len(ARMS) - 1) * 2  # every trained arm x the quick grid's two rates, seed 0
    arm_runs = [r for r in arm_runs if r.data.tags.get("drift.purpose") == "test"]
    assert sorted((r.data.tags["drift.arm"], r.data.tags["drift.seed"]) for r in arm_runs) == sorted(
        (a, str(s)) for a in ARMS for s in (0, 1))
    drift0 = next(r for r in arm_runs if r.data.tags["drift.arm"] == "drift" and r.data.tags["drift.seed"] == "0")
    assert {"greedy.multi_at_3", "t1.multi_at_1", "train_seconds", "rollout_tokens", "trained_tokens",
            "generation_seconds", "peak_rss_gib"} <= set(drift0.data.metrics)
    stages = client.search_runs(exp, f"tags.mlflow.parentRunId = '{drift0.info.run_id}'")
    assert {r.data.tags["drift.stage"] for r in stages} == {"train.drift.s0", "eval.drift.s0", "eval-t1.drift.s0"}
    files = {f.path for f in client.list_artifacts(parent.info.run_id, "compare")}
    assert {"compare/tiny_world.md", "compare/tiny_world.png", "compare/tiny_world.json"} <= files
