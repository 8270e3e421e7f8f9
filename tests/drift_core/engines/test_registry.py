"""The engine registry: an engine added from this file (no package file edited) runs a real rollout on the
tiny world through `drift rollout --engine`; 'auto', the config's values, errors and help come from it."""

from __future__ import annotations

import duckdb
import pytest

from cli.testing import drift
from drift_core.config import EvalConfig, RolloutConfig
from drift_core.engines import ENGINES, Engine, EngineEntry, make_engine, pick_engine
from drift_core.engines.base import Completion, Sampling
from drift_core.errors import DriftError


class CountingEngine(Engine):
    """The hf engine, counting its generate calls and noting whether it was closed."""

    name = "counting"

    def __init__(self, inner: Engine):
        self.inner, self.model_path = inner, inner.model_path
        self.samplings: list[Sampling] = []
        self.closed = False

    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        self.samplings.append(sampling)
        return self.inner.generate(prompts, sampling)

    def close(self) -> None:
        self.closed = True
        self.inner.close()


@pytest.fixture()
def counting():
    """Registers 'counting' for one test; yields the engines its factory built."""
    built: list[CountingEngine] = []

    def factory(model_path, cfg, seed):
        built.append(CountingEngine(make_engine("hf", model_path, cfg, seed=seed)))
        return built[-1]

    ENGINES.register(EngineEntry(name="counting", help="the hf engine, counting its calls", factory=factory))
    yield built
    ENGINES.unregister("counting")


def test_a_registered_engine_runs_drift_rollout(counting, tiny_world_dir, tmp_path):
    ws = tmp_path / "ws"
    rc = drift("rollout", "-w", ws, "--model", tiny_world_dir, "--engine", "counting", "--n", "2",
               "--max-turns", "2", "--quiet", "--set", "prompts.source=arithmetic", "--set", "prompts.count=4",
               "--set", "rollout.max_new_tokens=8", "--set", "rollout.batch_size=3", "--set", "rollout.seed=7")
    assert rc == 0
    (engine,) = counting
    assert engine.closed  # the rollout built it, so the rollout closed it
    assert engine.inner.batch_size == 3  # the config's engine settings reached the factory
    # the rollout's sampling settings reached every call: n samples at turn 1, shard 0's seed (seed * 100003)
    assert (engine.samplings[0].n, engine.samplings[0].seed) == (2, 7 * 100_003)
    assert {s.max_new_tokens for s in engine.samplings} == {8}
    con = duckdb.connect(str(ws / "warehouse.duckdb"), read_only=True)
    (rows,) = con.execute("select count(*) from trajectories").fetchone()
    con.close()
    assert rows == 4 * 2


def test_configs_accept_registered_engines_only(counting):
    assert RolloutConfig(engine="counting").engine == "counting"
    assert EvalConfig(engine="auto").engine == "auto"
    ENGINES.unregister("counting")
    with pytest.raises(ValueError, match=r"unknown engine 'counting' \(choose one of auto, hf, vllm\)"):
        RolloutConfig(engine="counting")


def test_help_names_every_engine():
    described = RolloutConfig.model_fields["engine"].description
    assert all(f"'{e.name}' = {e.help}" in described for e in ENGINES)
    assert "'auto' = vllm on CUDA when it imports, else hf" in described
    assert ENGINES.choices() == "auto | hf | vllm"


def test_auto_asks_ranked_engines_that_can_run():
    first = EngineEntry(name="first", help="ranked above all", factory=lambda *a: None, auto_rank=100)
    ENGINES.register(first)
    try:
        assert pick_engine("auto") == "first"
        ENGINES.unregister("first")
        ENGINES.register(EngineEntry(name="first", help="cannot run here", factory=lambda *a: None, auto_rank=100,
                                     available=lambda: (False, "no such device")))
        assert pick_engine("auto") != "first"
        with pytest.raises(DriftError, match="engine 'first' requested but no such device"):
            make_engine("first", "model")
    finally:
        ENGINES.unregister("first")


def test_unknown_engine_is_named_with_the_choices():
    with pytest.raises(DriftError, match=r"unknown engine 'nope' \(choose one of auto, hf, vllm\)"):
        make_engine("nope", "model")
