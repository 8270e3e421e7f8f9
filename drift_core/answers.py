"""Answer parsing, normalisation and checking: the one place that decides what an answer is.

`normalize_answer` feeds `answer_norms` (repetition penalty, repeated-answer share);
`is_correct` decides rewards. Both rollout and evaluation use these and nothing else.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

_SPECIAL = ("<think>", "</think>", "<answer>", "</answer>")
_ANSWER_RE = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_THINK_ANSWER_RE = re.compile(r"<think>(.*?)</think>\s*<answer>(.*?)</answer>", re.DOTALL)

# math-verify warns on every call when its signal-based timeout is off (needed off-main-thread).
logging.getLogger("math_verify").setLevel(logging.ERROR)


def extract_answer(response: str, think: bool = False) -> str | None:
    """The text inside <answer>...</answer> (after a <think> block when `think`), or None.

    An empty answer counts as unparseable, as in the reference (it earns the format penalty).
    """
    match = (_THINK_ANSWER_RE if think else _ANSWER_RE).search(response)
    if not match:
        return None
    answer = match.group(2 if think else 1)
    for tok in _SPECIAL:
        answer = answer.replace(tok, "")
    answer = answer.strip()
    return answer or None


def extract_think(response: str) -> str:
    match = _THINK_ANSWER_RE.search(response)
    return match.group(1).strip() if match else ""


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


@lru_cache(maxsize=200_000)
def is_correct(answer: str | None, gold: str) -> bool:
    """True when `answer` matches `gold`: equal after normalisation, or equal as math (math-verify).

    So '\\frac{1}{2}' equals '0.5' and 'A' equals 'a'. math-verify's timeout uses signals, which
    only work on the main thread; elsewhere (Prefect task threads) it runs without one.
    """
    if not answer:
        return False
    if normalize_answer(answer) == normalize_answer(gold):
        return True
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
