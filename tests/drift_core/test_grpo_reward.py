"""drift_core/train/grpo_reward.py: the online arm's reward equals sql/returns.sql's return, computed on a
real DuckDB over the same trajectories (sampled from the test-size tiny world, plus hand-made edge cases)."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from drift_core.chat import load_tokenizer
from drift_core.config import ProtocolConfig
from drift_core.engines.hf import HFEngine
from drift_core.episode import Episode
from drift_core.multiturn import Problem, run_episodes
from drift_core.rollout import trajectories_table
from drift_core.sqlfiles import materialise, run_sql
from drift_core.train.grpo_reward import make_reward_func, reward_fields
from drift_core.weights import ensure_tables


@pytest.fixture(scope="module")
def episodes(tiny_world_dir) -> list[Episode]:
    protocol = ProtocolConfig(max_turns=4)
    problems = [Problem(f"p{i}", f"What is {i} + {i + 3}?", str(2 * i + 3)) for i in range(6)]
    # T=1.5 and 6 tokens per turn: wrong, repeated and unparseable answers as well as solved episodes
    sampled = run_episodes(HFEngine(str(tiny_world_dir)), load_tokenizer(str(tiny_world_dir)), problems, protocol,
                           n=4, temperature=1.5, top_p=1.0, max_new_tokens=6, seed=0)
    by_hand = []
    for k, texts in enumerate([["5</answer>", "5</answer>", "", "7</answer>"],  # repeat, '' answer, solved at 4
                               ["x", "y", "z", "w"],  # four unparseable turns: four format penalties
                               ["7</answer>"]]):  # solved at turn 1
        e = Episode(f"h{k}", 0, "What is 3 + 4?", "7", protocol)
        for t in texts:
            e.step(t, 3)
        by_hand.append(e)
    return sampled + by_hand


def sql_returns(episodes: list[Episode], gamma: float, lam: float) -> dict[tuple[str, int], float]:
    con = duckdb.connect()
    run_sql(con, "tables/trajectories")
    ensure_tables(con)
    con.register("given", trajectories_table("r1", "policy", episodes))
    con.execute("insert into trajectories by name select * from given")
    materialise(con, "prompt_groups", {"run_ids": ["r1"]})
    materialise(con, "returns", {"run_ids": ["r1"], "gamma": gamma, "repeat_penalty_lambda": lam})
    rows = con.execute('select prompt_id, sample_idx, "return" from returns').fetchall()
    return {(p, s): r for p, s, r in rows}


@pytest.mark.parametrize("gamma, lam", [(0.9, 0.5), (1.0, 0.0), (0.5, 1.0)])
def test_reward_equals_the_sql_return(episodes, gamma, lam):
    rewards = make_reward_func(gamma, lam)(prompts=None, completions=None, **reward_fields(episodes))
    want = sql_returns(episodes, gamma, lam)
    assert len(want) == len(episodes)
    got = {(e.prompt_id, e.sample_idx): r for e, r in zip(episodes, rewards, strict=True)}
    assert got == pytest.approx(want, abs=1e-12)


def test_the_trajectories_cover_every_term(episodes):
    """The equality above is only worth something if every term of R occurs in these trajectories."""
    assert any(e.t_star is not None for e in episodes) and any(e.t_star is None for e in episodes)
    assert any(e.t_star and e.t_star > 1 for e in episodes)  # discounting
    assert any(e.format_penalty < 0 for e in episodes)
    assert any(len(set(a for a in e.answer_norms if a)) < len(e.answer_norms) for e in episodes)  # repeats
    assert len({r for r in sql_returns(episodes, 0.9, 0.5).values()}) >= 5
    assert isinstance(trajectories_table("r1", "policy", episodes), pa.Table)
