"""The hf engine on a real (random) transformers model."""

import pytest

from drift_core.chat import load_tokenizer, render
from drift_core.config import ProtocolConfig
from drift_core.engines import make_engine, pick_engine
from drift_core.engines.base import Sampling
from drift_core.episode import initial_messages, prefill_text


@pytest.fixture(scope="module")
def engine(random_model_dir):
    eng = make_engine("hf", str(random_model_dir), batch_size=64)
    yield eng
    eng.close()


def prompts(model_dir, k=4):
    tok = load_tokenizer(str(model_dir))
    p = ProtocolConfig()
    qs = ["What is 1 + 2?", "What is 12 + 7?", "What is 99 - 45?", "What is 3 * 4?"][:k]
    # different lengths, so left padding matters
    return [render(tok, initial_messages(q * (i + 1), p), prefill_text(p)) for i, q in enumerate(qs)]


def test_n_samples_per_prompt_and_token_counts(engine, random_model_dir):
    out = engine.generate(prompts(random_model_dir), Sampling(n=3, temperature=1.0, max_new_tokens=5, seed=0))
    assert [len(g) for g in out] == [3, 3, 3, 3]
    assert all(1 <= c.num_tokens <= 5 for g in out for c in g)


def test_sampling_is_reproducible_for_a_seed(engine, random_model_dir):
    ps = prompts(random_model_dir)
    a = engine.generate(ps, Sampling(n=2, temperature=1.0, max_new_tokens=6, seed=7))
    b = engine.generate(ps, Sampling(n=2, temperature=1.0, max_new_tokens=6, seed=7))
    assert a == b


def test_batched_greedy_equals_one_at_a_time(engine, random_model_dir):
    # Left padding + attention mask must not change what each prompt generates.
    ps = prompts(random_model_dir)
    greedy = Sampling(n=1, temperature=0.0, max_new_tokens=8)
    batched = [g[0].text for g in engine.generate(ps, greedy)]
    alone = [engine.generate([p], greedy)[0][0].text for p in ps]
    assert batched == alone


def test_auto_picks_hf_on_cpu():
    import torch

    if torch.cuda.is_available():
        pytest.skip("CPU-only check")
    assert pick_engine("auto") == "hf"
