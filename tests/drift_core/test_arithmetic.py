"""The arithmetic generator: exact answers, distinct problems, the dropped-carry slip."""

from __future__ import annotations

import random

import pytest

from drift_core.prompts import arithmetic


def test_make_problem_exact_answer_and_stable_id():
    p = arithmetic.make_problem(5, 52, 27)
    assert p["question"] == "What is 52 - 27?"
    assert p["gold"] == "25"  # 52 - 27
    assert p["prompt_id"] == "arith-52-27"
    assert p["difficulty"] == 5


def test_generate_is_distinct_deterministic_and_respects_exclude():
    a = arithmetic.generate(50, [3, 4], seed=1)
    assert a == arithmetic.generate(50, [3, 4], seed=1)
    assert len({p["prompt_id"] for p in a}) == 50
    b = arithmetic.generate(50, [3, 4], seed=1, exclude={p["prompt_id"] for p in a})
    assert not {p["prompt_id"] for p in a} & {p["prompt_id"] for p in b}


def test_generate_rejects_unknown_levels_and_overdraw():
    with pytest.raises(ValueError):
        arithmetic.generate(1, [99], seed=0)
    with pytest.raises(ValueError):
        arithmetic.generate(101, [1], seed=0)  # 1-digit + 1-digit has 10 x 10 = 100 problems


@pytest.mark.parametrize(
    ("level", "a", "b", "slip"),
    [
        (3, 47, 5, 42),  # 47 + 5 = 52; carry from 7 + 5 dropped -> 42
        (1, 8, 5, 3),  # 8 + 5 = 13 -> 3
        (4, 41, 23, None),  # 1 + 3 < 10: no carry, no slip
        (5, 52, 27, 35),  # 52 - 27 = 25; borrow (2 < 7) dropped -> 35
        (5, 57, 22, None),  # no borrow
        (5, 22, 57, None),  # negative result: no slip defined
        (2, 7, 8, None),  # multiplication: none
    ],
)
def test_dropped_carry(level, a, b, slip):
    assert arithmetic.dropped_carry(arithmetic.make_problem(level, a, b)) == slip


def test_near_miss_is_wrong_and_avoids():
    rng = random.Random(0)
    for v in range(-20, 200, 7):
        avoid = {v + 1, v - 1}
        m = arithmetic.near_miss(v, rng, avoid)
        assert m != v and m not in avoid


def test_all_problems_counts():
    assert len(arithmetic.all_problems(1)) == 100
    assert len(arithmetic.all_problems(3)) == 900  # 90 two-digit x 10 one-digit
    ids = {p["prompt_id"] for p in arithmetic.all_problems(4)}
    assert len(ids) == 8100
