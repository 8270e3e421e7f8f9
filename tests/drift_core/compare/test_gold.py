"""drift_core/compare/gold.py: the gold-sft arm's data in the rollout format, stored as a run."""

from __future__ import annotations

from drift_core.compare.gold import gold_episodes, write_gold_run
from drift_core.config import ProtocolConfig, WeightsConfig

PROMPTS = [{"prompt_id": "p1", "question": "12 + 5", "gold": "17", "split": "train", "source": "t"},
           {"prompt_id": "p2", "question": "40 - 52", "gold": "-12", "split": "train", "source": "t"}]


def test_gold_episodes_are_single_turn_successes_in_the_rollout_format():
    eps = gold_episodes(PROMPTS, ProtocolConfig())
    assert [e.t_star for e in eps] == [1, 1]
    assert [m["role"] for m in eps[0].messages] == ["system", "user", "assistant"]
    assert eps[1].messages[-1]["content"] == "<answer>-12</answer>"
    assert "40 - 52" in eps[1].messages[1]["content"]


def test_gold_episodes_with_think_format():
    eps = gold_episodes(PROMPTS[:1], ProtocolConfig(think=True))
    assert eps[0].t_star == 1
    assert eps[0].messages[-1]["content"].endswith("<answer>17</answer>")


def test_gold_run_trains_through_the_weights_stage(workspace):
    from drift_core.weights import compute_weights, training_set

    run_id, n = write_gold_run(workspace, PROMPTS, ProtocolConfig())
    assert n == 2 and run_id.startswith("gold-")
    compute_weights(workspace, WeightsConfig(scheme="uniform"), run_id)
    con = workspace.connect(read_only=True)
    try:
        rows = training_set(con, run_id=run_id, scheme="uniform", gamma=0.9, beta=0.1).to_pylist()
        policy = con.execute("select distinct policy from trajectories where run_id = ?", [run_id]).fetchall()
    finally:
        con.close()
    assert [r["weight"] for r in rows] == [1.0, 1.0]
    assert [r["messages"][-1]["content"] for r in rows] == ["<answer>17</answer>", "<answer>-12</answer>"]
    assert policy == [("gold",)]
