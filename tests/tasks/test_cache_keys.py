"""Cache keys follow content: what a stage reads, never where it lives, which object it is, or how fast
it runs. Keys are computed by the tasks' own cache_key_fn from the call's parameters."""

from __future__ import annotations

import shutil

from drift_core.config import EvalConfig, ProtocolConfig, RolloutConfig, TrainConfig, WeightsConfig
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace
from tasks.evaluate import evaluate_task
from tasks.prompts import PromptsResult
from tasks.rollout import RolloutResult, rollout_task
from tasks.train import train_task
from tasks.weights import WeightsResult, weights_task


def key(task, **params):
    return task.cache_key_fn(None, params)


def test_rollout_key_ignores_paths(random_model_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(random_model_dir, copy)
    a = key(rollout_task, workspace="/ws/a", prompts=PromptsResult(fingerprint="p1"),
            model=ModelRef.of(str(random_model_dir), Workspace(tmp_path)), protocol=ProtocolConfig(),
            cfg=RolloutConfig())
    b = key(rollout_task, workspace="/ws/b", prompts=PromptsResult(fingerprint="p1"),
            model=ModelRef.of(str(copy), Workspace(tmp_path)), protocol=ProtocolConfig(), cfg=RolloutConfig())
    assert a == b
    c = key(rollout_task, workspace="/ws/a", prompts=PromptsResult(fingerprint="p1"), model=ModelRef("x", "other"),
            protocol=ProtocolConfig(), cfg=RolloutConfig())
    assert c != a


def test_speed_settings_never_change_the_rollout_key():
    """batch_size, prompts_per_shard, device, engine: marked SPEED_ONLY on the field, so one dump leaves them out."""
    base = dict(workspace="/ws", prompts=PromptsResult(fingerprint="p1"), model=ModelRef("m", "m1"),
                protocol=ProtocolConfig())
    a = key(rollout_task, cfg=RolloutConfig(), **base)
    for changed in (dict(batch_size=7), dict(prompts_per_shard=3), dict(device="cpu"), dict(engine="hf")):
        assert key(rollout_task, cfg=RolloutConfig(**changed), **base) == a, changed
    assert key(rollout_task, cfg=RolloutConfig(n=3), **base) != a  # content
    assert key(rollout_task, cfg=RolloutConfig(), **(base | {"protocol": ProtocolConfig(max_turns=2)})) != a


def test_beta_changes_weights_and_downstream_keys_only():
    rollout = RolloutResult(fingerprint="r1", run_id="r-1")
    w1 = key(weights_task, workspace="/ws", rollout=rollout, cfg=WeightsConfig(beta=0.1))
    w2 = key(weights_task, workspace="/ws", rollout=rollout, cfg=WeightsConfig(beta=0.5))
    assert w1 != w2
    base = ModelRef("m", "m1")
    t1 = key(train_task, workspace="/ws", weights=WeightsResult(fingerprint=w1), base=base,
             protocol=ProtocolConfig(), cfg=TrainConfig())
    t2 = key(train_task, workspace="/ws", weights=WeightsResult(fingerprint=w2), base=base,
             protocol=ProtocolConfig(), cfg=TrainConfig())
    assert t1 != t2
    # Checkpoint cadence and logging are speed/placement: same model, same key.
    t3 = key(train_task, workspace="/ws", weights=WeightsResult(fingerprint=w1), base=base,
             protocol=ProtocolConfig(), cfg=TrainConfig(save_steps=7, logging_steps=5))
    assert t3 == t1


def test_eval_key_depends_on_model_content_and_eval_set():
    prompts = PromptsResult(fingerprint="e1")
    k = dict(workspace="/ws", prompts=prompts, protocol=ProtocolConfig(), cfg=EvalConfig(), baseline=None)
    assert key(evaluate_task, model=ModelRef("/a", "same"), **k) == key(
        evaluate_task, model=ModelRef("/b", "same"), **k)
    assert key(evaluate_task, model=ModelRef("/a", "same"), **k) != key(
        evaluate_task, model=ModelRef("/a", "other"), **k)
    # Engine and batch size change speed, not results.
    fast = k | {"cfg": EvalConfig(batch_size=3, engine="hf")}
    assert key(evaluate_task, model=ModelRef("/a", "same"), **fast) == key(
        evaluate_task, model=ModelRef("/a", "same"), **k)


def test_editing_a_module_the_stage_imports_changes_its_key(monkeypatch):
    """The key holds the stage's import closure: a changed fingerprint of drift_core/episode.py (imported by
    training through drift_core.train.data) changes the train key."""
    import drift_core.fingerprint as fp

    params = dict(workspace="/ws", weights=WeightsResult(fingerprint="w"), base=ModelRef("m", "m1"),
                  protocol=ProtocolConfig(), cfg=TrainConfig())
    before = key(train_task, **params)
    real = fp.file_fingerprint
    episode = fp.module_file("drift_core.episode")
    monkeypatch.setattr(fp, "file_fingerprint", lambda p: "edited" if p == episode else real(p))
    assert key(train_task, **params) != before


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


def test_a_rollout_only_protocol_change_keeps_the_evaluation():
    """eval.prompt_mode decides how evaluation prompts; protocol.prompt_mode (rollouts) does not enter its key."""
    k = dict(workspace="/ws", model=ModelRef("/a", "m"), prompts=PromptsResult(fingerprint="e1"),
             cfg=EvalConfig(), baseline=None)
    simple = key(evaluate_task, protocol=ProtocolConfig(), **k)
    assert key(evaluate_task, protocol=ProtocolConfig(prompt_mode="full"), **k) == simple
    assert key(evaluate_task, protocol=ProtocolConfig(max_turns=2), **k) != simple
    assert key(evaluate_task, protocol=ProtocolConfig(), **(k | {"cfg": EvalConfig(prompt_mode="full")})) != simple


def test_the_runner_never_changes_a_key():
    """runner places shards (local, a Ray cluster); the rows are the same, so the keys are."""
    from drift_core.config import RunnerConfig

    ray = RunnerConfig(kind="ray", address="ray://head:10001", workers=4, gpus_per_shard=1)
    base = dict(workspace="/ws", prompts=PromptsResult(fingerprint="p1"), model=ModelRef("m", "m1"),
                protocol=ProtocolConfig(), cfg=RolloutConfig())
    assert key(rollout_task, **base) == key(rollout_task, runner=None, **base) == key(rollout_task, runner=ray, **base)
    ev = dict(workspace="/ws", model=ModelRef("m", "m1"), prompts=PromptsResult(fingerprint="e1"),
              protocol=ProtocolConfig(), cfg=EvalConfig(), baseline=None)
    assert key(evaluate_task, **ev) == key(evaluate_task, runner=ray, **ev)
    assert RunnerConfig(kind="ray").content_dump() == {}  # placement only: out of every digest
