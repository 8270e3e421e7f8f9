"""drift_core/train/grpo_checkpoints.py: the online arm's token budget and validation curve, with real TRL on the
test-size tiny world (and the callback's rules on plain values)."""

from __future__ import annotations

import json

import pytest
from transformers import TrainerControl, TrainerState

from drift_core.config import EvalConfig, GrpoConfig, ProtocolConfig
from drift_core.episode import Episode
from drift_core.train.grpo import SUMMARY, train_grpo
from drift_core.train.grpo_checkpoints import STEPS, TOKENS, BudgetCallback, multi_at_k, thresholds
from tests.drift_core.test_grpo_train import train_problems


def run_steps(cb: BudgetCallback, tokens_per_step: list[int], counter: list[int]) -> int:
    """Drive the callback as the Trainer does: begin, then per step add tokens and call on_step_end."""
    state, control = TrainerState(), TrainerControl()
    cb.on_train_begin(None, state, control)
    for n in tokens_per_step:
        counter[0] += n
        state.global_step += 1
        cb.on_step_end(None, state, control)
        if control.should_training_stop:
            break
    cb.on_train_end(None, state, control)
    return state.global_step


def test_budget_stops_at_the_first_step_that_reaches_it_and_checkpoints_fall_on_tokens():
    counter, scored = [0], []
    cb = BudgetCallback(lambda: counter[0], token_budget=100, max_steps=50, checkpoints=4,
                        score=lambda: scored.append(counter[0]) or {"multi@1": counter[0] / 1000})
    steps = run_steps(cb, [30] * 50, counter)
    assert steps == 4 and counter[0] == 120 >= 100 and cb.stopped_by == TOKENS
    # before the first step, then at 25/50/75/100 tokens: 30 crosses 25, 60 crosses 50, 90 crosses 75, 120: 100
    assert [c["generated_tokens"] for c in cb.curve] == [0, 30, 60, 90, 120]
    assert [c["step"] for c in cb.curve] == [0, 1, 2, 3, 4]
    assert [c["multi@1"] for c in cb.curve] == [0.0, 0.03, 0.06, 0.09, 0.12]


def test_one_step_crossing_two_points_records_once_and_the_cap_closes_the_curve():
    counter = [0]
    cb = BudgetCallback(lambda: counter[0], token_budget=1000, max_steps=3, checkpoints=10,
                        score=lambda: {"multi@1": 0.5})
    steps = run_steps(cb, [250, 10, 10], counter)  # the step cap (3) comes long before the budget
    assert steps == 3 and cb.stopped_by == STEPS
    # 250 crosses 100 and 200 (one record), 260 and 270 cross nothing: the end of the run adds the final policy
    assert [(c["step"], c["generated_tokens"]) for c in cb.curve] == [(0, 0), (1, 250), (3, 270)]


def test_without_a_budget_points_fall_on_steps_and_nothing_stops_the_run():
    counter = [0]
    cb = BudgetCallback(lambda: counter[0], token_budget=None, max_steps=4, checkpoints=2, score=lambda: {})
    assert run_steps(cb, [5] * 4, counter) == 4 and cb.stopped_by == STEPS
    assert [c["step"] for c in cb.curve] == [0, 2, 4]
    assert thresholds(3, 90) == [30, 60, 90]


def test_multi_at_k_is_the_share_solved_within_k_turns():
    protocol = ProtocolConfig(max_turns=3)
    eps = []
    for t_star in (1, 2, None, 3):
        e = Episode(prompt_id=f"p{len(eps)}", sample_idx=0, question="q", gold="1", protocol=protocol)
        e.t_star = t_star
        eps.append(e)
    assert multi_at_k(eps, 3) == {"multi@1": 0.25, "multi@2": 0.5, "multi@3": 0.75}


def test_token_budget_and_validation_curve_with_real_trl(tiny_world_dir, tmp_path):
    problems = train_problems(tiny_world_dir, 8)
    validation = [json.loads(line) for line in (tiny_world_dir / "prompts" / "validation.jsonl").read_text()
                  .splitlines()]
    from drift_core.multiturn import Problem

    scored = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in validation]
    cfg = GrpoConfig(max_steps=40, num_generations=2, per_device_train_batch_size=4, max_new_tokens=8,
                     learning_rate=1e-3, token_budget=150, checkpoints=3, checkpoint_prompts=6)
    out = tmp_path / "grpo"
    res = train_grpo(problems, str(tiny_world_dir), ProtocolConfig(max_turns=3), cfg, out, progress=False,
                     checkpoint_problems=scored, eval_cfg=EvalConfig(max_new_tokens=8))
    assert res.stopped_by == TOKENS and res.generated_tokens >= 150 and res.steps < 40
    points = res.checkpoints
    assert points[0]["step"] == 0 and points[0]["generated_tokens"] == 0 and points[-1]["step"] == res.steps
    assert [p["generated_tokens"] for p in points] == sorted({p["generated_tokens"] for p in points})  # increasing
    assert all(0.0 <= p["multi@3"] <= 1.0 and p["multi@1"] <= p["multi@3"] for p in points)
    assert [p["seconds"] for p in points] == sorted(p["seconds"] for p in points)
    assert 0 < res.checkpoint_seconds < res.seconds and res.training_seconds < res.seconds - res.generation_seconds
    summary = json.loads((out / SUMMARY).read_text())
    assert summary["stopped_by"] == TOKENS and summary["token_budget"] == 150 and len(summary["checkpoints"]) == len(
        points)


def test_checkpoints_need_validation_problems(tiny_world_dir, tmp_path):
    from drift_core.errors import DriftError

    cfg = GrpoConfig(max_steps=1, num_generations=2, per_device_train_batch_size=4, checkpoints=2)
    with pytest.raises(DriftError, match="validation problems"):
        train_grpo(train_problems(tiny_world_dir, 4), str(tiny_world_dir), ProtocolConfig(max_turns=3), cfg,
                   tmp_path / "g", progress=False)
