"""hf and vllm write the same tables: same keys, columns, types and turns per trajectory."""

import pytest

from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig
from drift_core.engines import make_engine
from drift_core.prompts import load_prompts
from drift_core.rollout import rollout
from drift_core.store import Workspace

from .conftest import needs_vllm

pytestmark = [*needs_vllm, pytest.mark.slow]  # a vLLM engine starts in tens of seconds on CPU
ENGINES = ("hf", "vllm")


@pytest.fixture(scope="module")
def engines(vllm_env, vllm_model_dir):
    built = {name: make_engine(name, str(vllm_model_dir), seed=0) for name in ENGINES}
    yield built
    for eng in built.values():
        eng.close()


def run_both(engines, model_dir, tmp_path, **cfg):
    """One rollout per engine, each into its own workspace; returns {engine: open connection}."""
    prompts = load_prompts(PromptsConfig(source="arithmetic", count=3, levels=[1, 3], seed=0))
    settings = RolloutConfig(**{"n": 2, "max_new_tokens": 6, "prompts_per_shard": 2, "seed": 1, **cfg})
    cons = {}
    for name, eng in engines.items():
        ws = Workspace(tmp_path / name)
        rollout(ws, prompts, ProtocolConfig(max_turns=2), settings, str(model_dir), engine=eng, progress=False)
        cons[name] = ws.connect(read_only=True)
    return cons


def query(cons, sql):
    return {name: con.execute(sql).fetchall() for name, con in cons.items()}


def test_sampled_rollouts_write_the_same_tables(engines, vllm_model_dir, tmp_path):
    cons = run_both(engines, vllm_model_dir, tmp_path)
    for table in ("trajectories", "turns"):
        # column names and DuckDB types, in order
        schema = query(cons, f"select column_name, column_type from (describe {table})")
        assert schema["hf"] == schema["vllm"] and schema["hf"]
    # one trajectory per (prompt, sample), and the same number of turns for each
    per_key = query(cons, """
        select prompt_id, sample_idx, count(distinct t.run_id), count(*), any_value(t.num_turns)
        from trajectories t join turns u using (run_id, prompt_id, sample_idx)
        group by all order by all""")
    assert per_key["hf"] == per_key["vllm"] and len(per_key["hf"]) == 3 * 2
    # the numbers came from the engines: tokens generated, within the cap
    tokens = query(cons, "select min(completion_tokens), max(completion_tokens) from turns")
    assert all(1 <= lo <= hi <= 6 for lo, hi in (rows[0] for rows in tokens.values()))


def test_greedy_rollouts_are_identical(engines, vllm_model_dir, tmp_path):
    cons = run_both(engines, vllm_model_dir, tmp_path, temperature=0.0, n=1)
    rows = query(cons, """
        select prompt_id, sample_idx, turn, response, answer, correct, reward, format_ok, completion_tokens
        from turns order by all""")
    assert rows["hf"] == rows["vllm"] and rows["hf"]
