"""Cache keys follow content: what a stage reads, never where it lives or which object it is."""

from __future__ import annotations

import shutil

from drift_core.config import EvalConfig, ProtocolConfig, RolloutConfig, TrainConfig, WeightsConfig
from drift_core.stages.model import ModelRef
from tasks.evaluate import _key as eval_key
from tasks.prompts import PromptsResult
from tasks.rollout import RolloutResult
from tasks.rollout import _key as rollout_key
from tasks.stage import cache_key
from tasks.train import _key as train_key
from tasks.weights import WeightsResult
from tasks.weights import _key as weights_key


def key(stage, fn, **params):
    return cache_key(stage, fn)(None, params)


def test_rollout_key_ignores_paths_and_speed_settings(random_model_dir, tmp_path):
    from drift_core.fingerprint import model_fingerprint

    copy = tmp_path / "copy"
    shutil.copytree(random_model_dir, copy)
    prompts = PromptsResult(fingerprint="p1")
    a = key("rollout", rollout_key, workspace="/ws/a", prompts=prompts,
            model=ModelRef(str(random_model_dir), model_fingerprint(str(random_model_dir))),
            protocol=ProtocolConfig(), cfg=RolloutConfig(batch_size=8))
    b = key("rollout", rollout_key, workspace="/ws/b", prompts=PromptsResult(fingerprint="p1"),
            model=ModelRef(str(copy), model_fingerprint(str(copy))),
            protocol=ProtocolConfig(), cfg=RolloutConfig(batch_size=512))
    assert a == b
    c = key("rollout", rollout_key, workspace="/ws/a", prompts=prompts, model=ModelRef("x", "other"),
            protocol=ProtocolConfig(), cfg=RolloutConfig())
    assert c != a


def test_beta_changes_weights_and_downstream_keys_only():
    rollout = RolloutResult(fingerprint="r1", run_id="r-1")
    w1 = key("weights", weights_key, workspace="/ws", rollout=rollout, cfg=WeightsConfig(beta=0.1))
    w2 = key("weights", weights_key, workspace="/ws", rollout=rollout, cfg=WeightsConfig(beta=0.5))
    assert w1 != w2
    base = ModelRef("m", "m1")
    t1 = key("train", train_key, workspace="/ws", weights=WeightsResult(fingerprint=w1), base=base,
             protocol=ProtocolConfig(), cfg=TrainConfig())
    t2 = key("train", train_key, workspace="/ws", weights=WeightsResult(fingerprint=w2), base=base,
             protocol=ProtocolConfig(), cfg=TrainConfig())
    assert t1 != t2


def test_eval_key_depends_on_model_content_and_eval_set():
    prompts = PromptsResult(fingerprint="e1")
    k = dict(workspace="/ws", prompts=prompts, protocol=ProtocolConfig(), cfg=EvalConfig())
    assert key("evaluate", eval_key, model=ModelRef("/a", "same"), **k) == key(
        "evaluate", eval_key, model=ModelRef("/b", "same"), **k)
    assert key("evaluate", eval_key, model=ModelRef("/a", "same"), **k) != key(
        "evaluate", eval_key, model=ModelRef("/a", "other"), **k)
    # Engine and batch size change speed, not results.
    assert key("evaluate", eval_key, model=ModelRef("/a", "same"), **(k | {"cfg": EvalConfig(batch_size=3)})) == key(
        "evaluate", eval_key, model=ModelRef("/a", "same"), **k)


def test_speed_settings_never_change_the_rollout_key():
    """batch_size, prompts_per_shard, device, engine: marked SPEED_ONLY on the field, so one dump leaves them out."""
    base = dict(workspace="/ws", prompts=PromptsResult(fingerprint="p1"), model=ModelRef("m", "m1"),
                protocol=ProtocolConfig())
    a = key("rollout", rollout_key, cfg=RolloutConfig(), **base)
    for changed in (dict(batch_size=7), dict(prompts_per_shard=3), dict(device="cpu"), dict(engine="hf")):
        assert key("rollout", rollout_key, cfg=RolloutConfig(**changed), **base) == a, changed
    assert key("rollout", rollout_key, cfg=RolloutConfig(n=3), **base) != a  # content


def test_weights_key_ignores_run_id_the_rollout_names_the_run():
    rollout = RolloutResult(fingerprint="r1", run_id="r-1")
    assert key("weights", weights_key, workspace="/ws", rollout=rollout, cfg=WeightsConfig(run_id="x")) == key(
        "weights", weights_key, workspace="/ws", rollout=rollout, cfg=WeightsConfig())


def test_run_and_eval_ids_use_the_same_content_dump():
    from drift_core.evaluate import default_eval_id
    from drift_core.rollout import default_run_id

    p = ProtocolConfig()
    assert default_run_id("m", ["a"], p, RolloutConfig(batch_size=1, prompts_per_shard=1)) == default_run_id(
        "m", ["a"], p, RolloutConfig())
    assert default_run_id("m", ["a"], p, RolloutConfig(seed=1)) != default_run_id("m", ["a"], p, RolloutConfig())
    assert default_eval_id("m", "d", ["a"], p, EvalConfig(batch_size=2, engine="hf")) == default_eval_id(
        "m", "d", ["a"], p, EvalConfig())
    assert default_eval_id("m", "d", ["a"], p, EvalConfig(max_new_tokens=2)) != default_eval_id(
        "m", "d", ["a"], p, EvalConfig())
