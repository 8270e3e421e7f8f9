"""`drift compare --quick --world choice` as a flow (the options the command turns into a config), against a
real Prefect server and MLflow SQLite: the choice world's hidden-option items put the elimination optimum
into the page, the .json and the evaluations, and no arm beats chance at turn 1 on them.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(prefect_server, choice_world_dir, tmp_path_factory):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from cli.commands.compare_cmd import _configs, world_items
    from drift_core.config.compare import QUICK_COMPARE, CompareConfig
    from flows.compare import drift_compare

    root = tmp_path_factory.mktemp("compare_choice")
    ws = root / "ws"
    shutil.copytree(choice_world_dir, ws / "tiny_world_choice")  # built (test size), so never rebuilt
    # What `drift compare --quick --world choice -w ws` runs.
    cfg, compare = _configs("compare", CompareConfig, None, world_items("choice", None, quick=True), str(ws), True,
                            QUICK_COMPARE)
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
            summary = drift_compare(cfg, compare, command="drift compare --quick --world choice")
        yield {"ws": ws, "cfg": cfg, "compare": compare, "summary": summary}
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved


def test_page_json_and_plot_carry_the_optimum(run):
    from pathlib import Path

    out = Path(run["compare"].output)
    md, data = out.read_text(), json.loads(out.with_suffix(".json").read_text())
    assert "| optimum (elimination) |" in md and "## Share of the optimum" in md
    header = next(line for line in md.split("## Greedy decoding", 1)[1].splitlines() if line.startswith("| arm"))
    assert "| elimination |" in header
    optimum = data["optimum"]
    assert list(optimum) == [f"multi@{k}" for k in range(1, run["cfg"].protocol.max_turns + 1)]
    assert all(0.25 <= v <= 1 for v in optimum.values()) and optimum["multi@1"] < 1  # hidden items present
    assert out.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_no_arm_beats_chance_at_turn_one_on_hidden_items(run):
    """Turn-1 accuracy on hidden items: 1/4 in expectation for every policy. The quick compare scores dozens
    of evaluations on the same few hidden items, so one evaluation's 95% interval clearing 0.25 is expected by
    chance now and then (4 of 7 right: p = 0.07 each). Two tests that hold the error rate: every evaluation's
    one-sided binomial p against 1/4 clears a Bonferroni threshold (0.05 / evaluations), and the share pooled
    over every evaluation has a Wilson interval reaching down to 0.25 or below."""
    from scipy.stats import binomtest

    from drift_core.stats import wilson_interval
    from drift_core.store import Workspace

    con = Workspace(run["ws"]).connect(read_only=True)
    try:
        rows = con.execute("select eval_id, successes, n from eval_metrics where metric = 'hidden_multi@1'"
                           ).fetchall()
        optimum = con.execute("select count(*) from eval_metrics where metric = 'optimum@1'").fetchone()[0]
        elim = con.execute("select count(*) from eval_metrics where metric = 'elimination'").fetchone()[0]
    finally:
        con.close()
    assert rows and optimum == len(rows) and elim == len(rows)  # every evaluation of the test split
    for eval_id, successes, n in rows:
        p = binomtest(round(successes), n, 0.25, alternative="greater").pvalue
        assert n > 0 and p >= 0.05 / len(rows), (eval_id, successes, n, p)
    hits, total = sum(round(s) for _, s, _ in rows), sum(n for *_, n in rows)
    low, _ = wilson_interval(hits, total)
    assert low <= 0.25, (hits, total, low)
