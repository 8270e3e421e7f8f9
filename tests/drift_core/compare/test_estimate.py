"""drift_core/compare/estimate.py: a comparison's wall time at another size from a run's measured rates."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drift_core.compare.estimate import ArmSize, Rates, Sizes, estimate_markdown, rates, runs, seconds, units

ARMS = (ArmSize("reference", False), ArmSize("drift", True), ArmSize("drift-r2", True, rounds=2),
        ArmSize("drift-r3", True, rounds=3), ArmSize("online-grpo", True, online=True))


def sizes(**kw) -> Sizes:
    base = dict(arms=ARMS, train_prompts=10, n=2, validation_problems=6, test_problems=8, max_steps=4, seeds=2,
                lr_grid=2, online_lr_grid=2, online_token_multiple=5.0, checkpoints=3, checkpoint_prompts=6,
                shape={"world": "choice (test)"})
    return Sizes(**(base | kw))


def records() -> list[dict]:
    recs = []
    for seed in (0, 1):
        recs.append({"arm": "reference", "seed": seed, "eval_seconds": 2.0, "test_problems": 8})
        recs.append({"arm": "drift", "seed": seed, "generation_seconds": 10.0, "rollout_tokens": 400,
                     "train_seconds": 8.0, "eval_seconds": 2.0, "test_problems": 8})
        recs.append({"arm": "online-grpo", "seed": seed, "generation_seconds": 30.0, "train_seconds": 10.0,
                     "rollout_tokens": 2000, "eval_seconds": 2.0, "test_problems": 8,
                     "online": {"checkpoint_seconds": 4.0, "checkpoints": [{}] * 4}})
    return recs


def test_runs_count_the_selection_and_the_other_seeds():
    assert runs(sizes(), 3) == 3 + 2 - 1 and runs(sizes(), 1) == 2
    assert runs(sizes(select_seed_in_seeds=False), 3) == 5


def test_units_of_the_rounds_chain_and_the_online_arm():
    u = units(sizes())
    r = runs(sizes(), 2)  # 3
    # drift trains r x 4 steps; the chain adds rounds 2 and 3 (drift's round 1 is the drift arm's)
    assert u["sft_steps"] == r * 4 + r * 4 * 2
    assert u["rollout_trajectories"] == 20 and u["round_trajectories"] == r * 2 * 20
    assert u["online_tokens"] == r * 5.0 * 20  # trajectories' worth; x tokens per trajectory in seconds()
    assert u["checkpoint_problems"] == r * 4 * 6


def test_rates_give_back_the_measured_wall_time():
    s = sizes()
    r = rates(records(), s, wall_seconds=600.0)
    assert r.rollout_trajectory == pytest.approx(10.0 / 20) and r.tokens_per_trajectory == pytest.approx(20.0)
    assert r.sft_step == pytest.approx(8.0 / 4) and r.online_token == pytest.approx(40.0 / 2000)
    assert r.eval_problem == pytest.approx(0.25) and r.checkpoint_problem == pytest.approx(4.0 / 24)
    assert r.arm_run > 0 and seconds(units(s), r) == pytest.approx(600.0)


def test_later_rounds_rollouts_are_charged_at_their_own_rate():
    """A rounds arm's generation seconds = the shared rollout's + each later round's; rounds sampled from trained
    models run at their own speed, so they are charged at it, and the run's own wall time still comes back."""
    s = sizes()
    recs = records() + [
        {"arm": "drift-r2", "seed": seed, "generation_seconds": 10.0 + 4.0, "rollout_tokens": 700,
         "train_seconds": 16.0, "eval_seconds": 2.0, "test_problems": 8} for seed in (0, 1)] + [
        {"arm": "drift-r3", "seed": seed, "generation_seconds": 10.0 + 4.0 + 6.0, "rollout_tokens": 900,
         "train_seconds": 24.0, "eval_seconds": 2.0, "test_problems": 8} for seed in (0, 1)]
    r = rates(recs, s, wall_seconds=600.0)
    assert r.rollout_trajectory == pytest.approx(10.0 / 20)
    assert r.round_trajectory == pytest.approx((4.0 / 20 + 10.0 / 40) / 2)  # r2: 4 s for 1 round; r3: 10 s for 2
    assert seconds(units(s), r) == pytest.approx(600.0)
    same = replace(r, round_trajectory=None)  # without rounds records: the reference rollout's rate
    assert seconds(units(s), same) - seconds(units(s), r) == pytest.approx(
        units(s)["round_trajectories"] * (r.rollout_trajectory - r.round_trajectory))


def test_a_larger_comparison_costs_more_in_proportion():
    r = Rates(rollout_trajectory=1.0, tokens_per_trajectory=10.0, sft_step=1.0, online_token=0.1,
              eval_problem=1.0, checkpoint_problem=1.0, arm_run=0.0)
    small, big = sizes(), sizes(train_prompts=20, max_steps=8, validation_problems=12, test_problems=16,
                                checkpoint_prompts=12)
    assert seconds(units(big), r) == pytest.approx(2 * seconds(units(small), r))


def test_the_text_says_when_the_shapes_differ():
    s = sizes()
    r = rates(records(), s, 600.0)
    assert "same shapes" in estimate_markdown(s, s, r, "x") and "10.0 min for x" in estimate_markdown(s, s, r, "x")
    other = replace(s, shape={"world": "choice (default)"})
    assert "rough figure" in estimate_markdown(other, s, r, "x")
