"""Cache keys follow content: what a stage reads, never where it lives or which object it is."""

from __future__ import annotations

import shutil

from drift_core.config import EvalConfig, ProtocolConfig, RolloutConfig, TrainConfig, WeightsConfig
from tasks.evaluate import _key as eval_key
from tasks.model import ModelRef
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


def test_settings_excluded_matches_drift_core():
    from drift_core.evaluate import SETTINGS_EXCLUDED as core
    from tasks.evaluate import SETTINGS_EXCLUDED as here

    assert here == core
