"""The project's arithmetic problem generator: exact answers, difficulty levels, stable ids."""

from __future__ import annotations

import random

# level -> (operator, digits of a, digits of b); 1-digit operands may be 0..9.
LEVELS: dict[int, tuple[str, int, int]] = {
    1: ("+", 1, 1),
    2: ("*", 1, 1),
    3: ("+", 2, 1),
    4: ("+", 2, 2),
    5: ("-", 2, 2),
    6: ("+", 3, 2),
    7: ("*", 2, 1),
    8: ("*", 2, 2),
    9: ("-", 2, 1),
    10: ("-", 1, 2),  # always negative
}


def _operand(rng: random.Random, digits: int) -> int:
    return rng.randint(0, 9) if digits == 1 else rng.randint(10 ** (digits - 1), 10**digits - 1)


def make_problem(level: int, a: int, b: int) -> dict:
    op = LEVELS[level][0]
    value = {"+": a + b, "-": a - b, "*": a * b}[op]
    return {
        "prompt_id": f"arith-{a}{op}{b}",
        "question": f"What is {a} {op} {b}?",
        "gold": str(value),
        "difficulty": level,
        "a": a,
        "b": b,
        "op": op,
    }


def generate(count: int, levels: list[int], seed: int, exclude: set[str] | None = None) -> list[dict]:
    """`count` distinct problems drawn uniformly over `levels`; ids in `exclude` are skipped."""
    bad = [lv for lv in levels if lv not in LEVELS]
    if bad or not levels:
        raise ValueError(f"unknown arithmetic levels {bad or levels}; known: {sorted(LEVELS)}")
    rng = random.Random(seed)
    seen = set(exclude or ())
    out: list[dict] = []
    capacity = sum(_capacity(lv) for lv in set(levels))
    if count > capacity - len(seen & _all_ids(levels)):
        raise ValueError(f"cannot draw {count} distinct problems from levels {levels}")
    while len(out) < count:
        level = rng.choice(levels)
        _, da, db = LEVELS[level]
        p = make_problem(level, _operand(rng, da), _operand(rng, db))
        if p["prompt_id"] not in seen:
            seen.add(p["prompt_id"])
            out.append(p)
    return out


def _capacity(level: int) -> int:
    _, da, db = LEVELS[level]
    return (10 if da == 1 else 9 * 10 ** (da - 1)) * (10 if db == 1 else 9 * 10 ** (db - 1))


def _all_ids(levels: list[int]) -> set[str]:
    # Only small levels are enumerated; large ones are never near capacity.
    ids: set[str] = set()
    for lv in set(levels):
        if _capacity(lv) <= 1000:
            op, da, db = LEVELS[lv]
            ra = range(10) if da == 1 else range(10 ** (da - 1), 10**da)
            rb = range(10) if db == 1 else range(10 ** (db - 1), 10**db)
            ids |= {f"arith-{a}{op}{b}" for a in ra for b in rb}
    return ids


def dropped_carry(problem: dict) -> int | None:
    """The classic slip: the ones-column carry (add) or borrow (sub) forgotten; None if there is none.

    47 + 5 = 52 -> 42 (carry dropped, off by -10); 52 - 27 = 25 -> 35 (borrow dropped, off by +10).
    """
    a, b, op = problem["a"], problem["b"], problem["op"]
    if op == "+" and a % 10 + b % 10 >= 10:
        return a + b - 10
    if op == "-" and a >= b and a % 10 < b % 10:
        return a - b + 10
    return None


def dropped_sign(problem: dict) -> int | None:
    """The other classic slip: a negative difference written without its sign (22 - 57 -> 35); else None."""
    if problem["op"] == "-" and problem["a"] < problem["b"]:
        return problem["b"] - problem["a"]
    return None


def near_miss(value: int, rng: random.Random, avoid: set[int] | frozenset[int] = frozenset()) -> int:
    """A plausible wrong answer near `value` (off by 1, 2 or 10), never `value` or one in `avoid`."""
    offsets = [-10, -2, -1, 1, 2, 10]
    rng.shuffle(offsets)
    for off in offsets:
        if value + off not in avoid:
            return value + off
    return value + 11 + len(avoid)  # all neighbours used: step further out (still wrong)


def all_problems(level: int) -> list[dict]:
    """Every problem of `level`, in a fixed order (pools for pre-training; 8,100 for 2-digit levels)."""
    op, da, db = LEVELS[level]
    ra = range(10) if da == 1 else range(10 ** (da - 1), 10**da)
    rb = range(10) if db == 1 else range(10 ** (db - 1), 10**db)
    return [make_problem(level, a, b) for a in ra for b in rb]


def describe(level: int) -> str:
    """'2-digit + 1-digit' for level 3."""
    op, da, db = LEVELS[level]
    return f"{da}-digit {op} {db}-digit"
