"""evaluate(): greedy multi-turn episodes with the real hf engine, stored tables and metrics."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from drift_core.config import EvalConfig, PromptsConfig, ProtocolConfig
from drift_core.errors import DriftError
from drift_core.evaluate import evaluate
from drift_core.prompts import load_prompts

PROTOCOL = ProtocolConfig(max_turns=3)
CFG = EvalConfig(max_new_tokens=4, bootstrap_samples=200)


@pytest.fixture(scope="module")
def prompts():
    return load_prompts(PromptsConfig(source="arithmetic", count=6, levels=[1], split="test"))


@pytest.fixture(scope="module")
def engine(random_model_dir):
    from drift_core.engines import make_engine

    eng = make_engine("hf", str(random_model_dir), device="cpu")
    yield eng
    eng.close()


def test_tables_metrics_and_per_problem(workspace, random_model_dir, prompts, engine):
    res = evaluate(workspace, str(random_model_dir), prompts, PROTOCOL, CFG, engine=engine, dataset="arith",
                   progress=False)
    assert set(res.per_problem) == {p["prompt_id"] for p in prompts}
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    traj = con.execute("select prompt_id, num_turns, t_star, model, dataset from eval_trajectories "
                       "where eval_id = ?", [res.eval_id]).fetchall()
    n_turns = con.execute("select count(*) from eval_turns where eval_id = ?", [res.eval_id]).fetchone()[0]
    stored = {r[0] for r in con.execute("select metric from eval_metrics where eval_id = ?", [res.eval_id]).fetchall()}
    eval_prompts = con.execute("select count(*) from prompts where split = 'test'").fetchone()[0]
    con.close()
    assert len(traj) == 6 and n_turns == sum(r[1] for r in traj) and eval_prompts == 6
    assert {r[3] for r in traj} == {str(random_model_dir)} and {r[4] for r in traj} == {"arith"}
    assert stored == {"multi@1", "multi@2", "multi@3", "turn_acc@1", "turn_acc@2", "turn_acc@3",
                      "correction_rate@2", "correction_rate@3", "correction_rate", "mean_turns", "repeat_share"}
    solved = sum(t is not None for t in res.per_problem.values())
    assert res.metrics["multi@3"] == pytest.approx(solved / 6)
    assert res.metrics["mean_turns"] == pytest.approx(sum(r[1] for r in traj) / 6)
    lo, hi = res.intervals["multi@1"]
    assert 0.0 <= lo <= res.metrics["multi@1"] <= hi <= 1.0
    assert all(m["ci_method"] in ("wilson", "bootstrap") for m in res.table)


def test_greedy_rerun_replaces_rows(workspace, random_model_dir, prompts, engine):
    first = evaluate(workspace, str(random_model_dir), prompts, PROTOCOL, CFG, engine=engine, progress=False)
    again = evaluate(workspace, str(random_model_dir), prompts, PROTOCOL, CFG, engine=engine, progress=False)
    assert first.eval_id == again.eval_id and first.per_problem == again.per_problem
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    assert con.execute("select count(*) from eval_trajectories").fetchone()[0] == 6
    con.close()


def test_prompts_without_gold_are_refused_before_anything_runs(workspace, random_model_dir, prompts):
    bad = [dict(p) for p in prompts[:2]]
    bad[1]["gold"] = ""
    with pytest.raises(DriftError, match=r"evaluation prompt 1 .*no gold answer"):
        evaluate(workspace, str(random_model_dir), bad, PROTOCOL, CFG, engine="hf", progress=False)
    assert not workspace.warehouse.exists()


def test_model_dir_without_tokenizer(workspace, tmp_path, random_model_dir, prompts):
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "config.json").write_text(json.dumps(json.loads((random_model_dir / "config.json").read_text())))
    shutil.copy(random_model_dir / "model.safetensors", bare / "model.safetensors")  # weights, no tokenizer
    with pytest.raises(DriftError, match="no tokenizer"):
        evaluate(workspace, str(bare), prompts, PROTOCOL, CFG, engine="hf", progress=False)


def test_shards_give_the_unsharded_greedy_result(workspace, random_model_dir, prompts, engine):
    """prompts_per_shard cuts the problems into shards (one task each in the pipeline); greedy, the rows
    are those of one shard, and so is the eval id (a speed-only setting)."""
    from drift_core.evaluate import plan_eval

    sharded = CFG.model_copy(update={"prompts_per_shard": 4})
    plan = plan_eval(workspace, str(random_model_dir), prompts, PROTOCOL, sharded)
    assert [len(s) for s in plan.shards] == [4, 2] and [plan.shard(k).k for k in (0, 1)] == [0, 1]
    one = evaluate(workspace, str(random_model_dir), prompts, PROTOCOL, CFG, engine=engine, progress=False)
    two = evaluate(workspace, str(random_model_dir), prompts, PROTOCOL, sharded, engine=engine, progress=False)
    assert two.eval_id == one.eval_id == plan.eval_id
    assert two.per_problem == one.per_problem and two.metrics == one.metrics and two.tokens == one.tokens
