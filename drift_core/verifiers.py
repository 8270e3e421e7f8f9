"""The verifier registry: how an answer is checked against the gold (protocol.verifier), one entry each.

A verifier is one entry (`VERIFIERS.register(VerifierEntry(...))`, from any module); the protocol's allowed
values, its validation error and its help are read from here (drift_core/extensions.py). `is_correct` is
what episodes score turns with (drift_core/episode.py), so rollout and evaluation share every verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from drift_core.answers import choice_correct, math_equal, normalize_answer, parse_options
from drift_core.extensions import Registry


@dataclass(frozen=True)
class VerifierEntry:
    name: str
    help: str  # one line: what counts as right (config field help, docs)
    # (answer, gold, question) -> correct; asked for parsed, non-blank answers only (a blank one is never right)
    check: Callable[[str, str, str], bool]


VERIFIERS: Registry[VerifierEntry] = Registry("verifier")


def _exact(answer: str, gold: str, question: str) -> bool:
    return normalize_answer(answer) == normalize_answer(gold)


def _math_verify(answer: str, gold: str, question: str) -> bool:
    return _exact(answer, gold, question) or math_equal(answer, gold)


def _choice(answer: str, gold: str, question: str) -> bool:
    if _exact(answer, gold, question):
        return True
    if normalize_answer(gold) in parse_options(question):
        return choice_correct(normalize_answer(answer), gold, question)
    return math_equal(answer, gold)  # a question without that option: as math-verify


EXACT = VERIFIERS.register(VerifierEntry(
    name="exact", check=_exact,
    help="equal after lower-casing and removing all whitespace (the reference's)",
))
MATH_VERIFY = VERIFIERS.register(VerifierEntry(
    name="math-verify", check=_math_verify,
    help="as 'exact', or equal as math by math-verify (more lenient: '0.5' = '\\frac{1}{2}', '12.0' = '12')",
))
CHOICE = VERIFIERS.register(VerifierEntry(
    name="choice", check=_choice,
    help="multiple choice, the gold is the letter of one of the options the question lists ('B. 52' lines): the "
    "letter ('b', '(B)') or, when only that option has it, its value ('52') is right (a question without that "
    "option: as math-verify). The choice tiny world sets it",
))


def is_correct(answer: str | None, gold: str, verifier: str = MATH_VERIFY.name, question: str = "") -> bool:
    """True when `answer` matches `gold` under the registered verifier `verifier` (protocol.verifier).

    No answer, or only whitespace (the reference's invalid action), is never correct. An unknown verifier
    is an error naming the registered ones."""
    check = VERIFIERS.get(verifier).check
    return bool(normalize_answer(answer)) and check(answer, gold, question)
