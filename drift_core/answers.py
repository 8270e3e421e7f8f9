"""Answer parsing, normalisation and the checks verifiers are made of: the one place that decides what an
answer is.

`normalize_answer` feeds `answer_norms` (repetition penalty, repeated-answer share); the verifiers of
drift_core/verifiers.py (`is_correct`) decide rewards from these checks. Both rollout and evaluation use
these and nothing else.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

_SPECIAL = ("<think>", "</think>", "<answer>", "</answer>")
# Chat-template tokens the reference also removes from answers and thoughts (protocol.strip_special_tokens).
CHAT_TOKENS = ("<|im_start|>", "<|im_end|>")
_ANSWER_RE = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_THINK_ANSWER_RE = re.compile(r"<think>(.*?)</think>\s*<answer>(.*?)</answer>", re.DOTALL)
# A multiple-choice option line of a question: 'B. 52' (drift_core.prompts.benchmarks.render_choices).
_OPTION_RE = re.compile(r"^\s*([A-Z])\.\s+(.+?)\s*$", re.MULTILINE)
# A letter as an answer, normalised: 'b', '(b)', 'b.', 'b)', 'b:'; optionally followed by the option's value.
_LETTER_RE = re.compile(r"^\(?([a-z])(?:\)|\.|:|(?=$))(.*)$")

# math-verify warns on every call when its signal-based timeout is off (needed off-main-thread).
logging.getLogger("math_verify").setLevel(logging.ERROR)


def _clean(text: str, strip_special_tokens: bool) -> str:
    # The reference's order: the tags, then the chat tokens, each removed everywhere; then outer whitespace.
    for tok in _SPECIAL + (CHAT_TOKENS if strip_special_tokens else ()):
        text = text.replace(tok, "")
    return text.strip()


def tagged_parts(response: str, think: bool = False, strip_special_tokens: bool = False) -> tuple[str, str] | None:
    """(thoughts, answer text) between the tags, each cleaned as an answer is ('' when empty; thoughts '' without
    `think`); None when the response lacks the tags. Unlike extract_answer, an empty answer is still a match:
    the reference rebuilds its stored message from these parts whenever the tags are there
    (protocol.unanswered_message, docs/reference-parity.md)."""
    match = (_THINK_ANSWER_RE if think else _ANSWER_RE).search(response)
    if not match:
        return None
    if think:
        return _clean(match.group(1), strip_special_tokens), _clean(match.group(2), strip_special_tokens)
    return "", _clean(match.group(1), strip_special_tokens)


def extract_answer(response: str, think: bool = False, strip_special_tokens: bool = False) -> str | None:
    """The text inside <answer>...</answer> (after a <think> block when `think`), or None.

    The tags (and with `strip_special_tokens` the chat tokens of CHAT_TOKENS) are removed from it first.
    An empty answer counts as unparseable, as in the reference (it earns the format penalty).
    """
    parts = tagged_parts(response, think, strip_special_tokens)
    return (parts[1] or None) if parts else None


def split_answers(text: str, separator: str) -> list[str]:
    """The non-empty parts of `text` split on `separator`, stripped (the reference's several answers per turn)."""
    return [part.strip() for part in text.split(separator) if part.strip()]


def parse_answer(
    response: str,
    think: bool = False,
    *,
    multi_answer: str = "whole",
    separator: str = "||",
    strip_special_tokens: bool = False,
) -> tuple[str | None, str | None]:
    """(answer scored, answer text kept in the stored message); (None, None) when unparseable.

    multi_answer 'whole': both are the extracted text. 'first': the extracted text split on `separator`;
    the first part is scored; the stored text is that part when there were several, else the extracted
    text unchanged (so '12 ||' is stored as is), as the reference rebuilds its message.
    """
    text = extract_answer(response, think=think, strip_special_tokens=strip_special_tokens)
    if text is None or multi_answer == "whole":
        return text, text
    parts = split_answers(text, separator)
    if not parts:
        return None, None
    return parts[0], (parts[0] if len(parts) > 1 else text)


def extract_think(response: str, strip_special_tokens: bool = False) -> str:
    """The thoughts of a '<think>...</think><answer>...</answer>' response, tags removed as in the answer."""
    parts = tagged_parts(response, think=True, strip_special_tokens=strip_special_tokens)
    return parts[0] if parts else ""


def canonical_response(answer: str, think: bool = False, thought: str = "") -> str:
    """The assistant message stored for a parsed turn: the reference keeps only the tagged parts."""
    if think:
        return f"<think>{thought}</think><answer>{answer}</answer>"
    return f"<answer>{answer}</answer>"


def normalize_answer(text: str | None) -> str:
    """Lower-case and drop all whitespace (the reference's normaliser); '' for no answer."""
    if not text:
        return ""
    return re.sub(r"\s+", "", text.strip().lower())


def _as_math(text: str) -> str:
    text = text.strip()
    return text if text.startswith("$") else f"${text}$"


def parse_options(question: str) -> dict[str, str]:
    """The options a multiple-choice question lists, one 'B. value' line each: {'b': normalised value}."""
    return {m.group(1).lower(): normalize_answer(m.group(2)) for m in _OPTION_RE.finditer(question or "")}


def _same_value(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return float(a) == float(b)  # '52.0' is option '52'
    except ValueError:
        return False


def choice_correct(norm: str, gold: str, question: str) -> bool:
    """The `choice` verifier on a normalised answer: is it the gold option of `question`?

    The gold is the right option's letter. Accepted: that letter ('B', 'b', ' B ', '(B)', 'B.'), the
    letter with its option's value ('B. 52'), or the value alone when exactly one option has it. Rejected:
    another letter, a letter with another option's value, a value no option or several options have.
    """
    gold_n = normalize_answer(gold)
    options = parse_options(question)
    if gold_n not in options:
        return False  # a question without this option: nothing to match the value against
    m = _LETTER_RE.match(norm)
    if m and m.group(1) in options:
        rest = m.group(2)
        return m.group(1) == gold_n and (not rest or _same_value(rest, options[gold_n]))
    matches = [k for k, v in options.items() if _same_value(norm, v)]
    return matches == [gold_n]


@lru_cache(maxsize=200_000)
def math_equal(answer: str, gold: str) -> bool:
    """Equal as math by math-verify: '\\frac{1}{2}' equals '0.5', '12.0' equals '12'.

    math-verify's timeout uses signals, which only work on the main thread; elsewhere (Prefect task
    threads) it runs without one. Cached: the same answers recur across samples and turns."""
    from math_verify import parse, verify  # heavy import (sympy): only when needed

    main = threading.current_thread() is threading.main_thread()
    timeout = 5 if main else None
    try:
        g = parse(_as_math(gold), parsing_timeout=timeout)
        a = parse(_as_math(answer), parsing_timeout=timeout)
        if not g or not a:
            return False
        return bool(verify(g, a, timeout_seconds=timeout))
    except Exception:  # math-verify raises on exotic input; an unverifiable answer is not correct
        return False
