"""The engine pool: one engine per process for a model and its settings, reused across shards; another
model or setting closes it before building the next, so a worker never holds two."""

from __future__ import annotations

import pytest

from drift_core.config import EvalConfig, RolloutConfig
from drift_core.engines import pool


@pytest.fixture()
def empty_pool():
    pool.release()
    yield
    pool.release()


def test_same_model_and_settings_reuse_the_engine(random_model_dir, empty_pool):
    before = pool.loads()
    cfg = RolloutConfig(engine="hf", device="cpu")
    engine, tok = pool.shared_engine(cfg, str(random_model_dir))
    again, tok2 = pool.shared_engine(cfg.model_copy(update={"n": 3, "temperature": 0.5}), str(random_model_dir))
    assert again is engine and tok2 is tok  # sampling settings are per call, not the engine's
    assert pool.loads() == before + 1
    assert pool.release() and not pool.release()  # closed once; nothing held after


def test_other_settings_close_the_held_engine_first(random_model_dir, empty_pool):
    first, _ = pool.shared_engine(RolloutConfig(engine="hf", device="cpu"), str(random_model_dir))
    closed = []
    first.close = lambda: closed.append(True)  # the real close frees the model; here, only noted
    before = pool.loads()
    second, _ = pool.shared_engine(EvalConfig(engine="hf", device="cpu", batch_size=3), str(random_model_dir))
    assert second is not first and closed == [True] and pool.loads() == before + 1
