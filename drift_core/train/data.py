"""Weighted training rows -> tokenized samples (prompt ids, target ids, weight).

Train-time text equals rollout-time text. At rollout the engine continued
`render(messages_so_far) + prefill` and the episode stored the assistant message as
`prefill + generated` (canonicalised to '<answer>X</answer>' for a parsed turn). So a sample's
prompt is `render(messages[:i]) + prefill` and its target is the stored content after the prefill,
followed by eos: the model learns exactly the tokens it had to produce, and never the prefill it
was given. With `train_prefill` (the reference's collator) the prompt ends at the assistant header
and the whole stored message, prefill included, is the target. Prompt and target are tokenized
separately, as the engine tokenized the prompt on its own and generated the target token by token
(tokenizing the concatenation could merge tokens across the boundary). `tokenize='joint'` is the
reference's way instead (docs/reference-parity.md): the concatenation is tokenized, and its first as many
tokens as the prompt alone has are the prompt.
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass

import pyarrow as pa

from drift_core.chat import render
from drift_core.errors import DriftError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sample:
    prompt_ids: list[int]  # left-truncated to max_prompt_length
    target_ids: list[int]  # the assistant tokens the loss is on (eos included unless truncated away)
    weight: float

    def __len__(self) -> int:
        return len(self.prompt_ids) + len(self.target_ids)


def check_rows(rows: pa.Table) -> None:
    """Columns messages (list of {role, content}) and weight (finite, >= 0) must be there."""
    missing = [c for c in ("messages", "weight") if c not in rows.column_names]
    if missing:
        raise DriftError(
            f"training rows lack column(s) {', '.join(missing)}; got {', '.join(rows.column_names) or 'none'}"
        )
    if rows.num_rows == 0:
        raise DriftError("empty training set: no rows (did the weights stage produce rows for this scheme?)")
    for i, w in enumerate(rows.column("weight").to_pylist()):
        if w is None or not math.isfinite(float(w)) or float(w) < 0:
            raise DriftError(f"training row {i}: weight must be a finite number >= 0 (got {w!r})")


def split_targets(messages: list[dict], target: str) -> list[tuple[list[dict], str]]:
    """(context messages, assistant content) pairs: the last assistant turn, or every one."""
    idx = [i for i, m in enumerate(messages) if m.get("role") == "assistant"]
    if target == "last":
        idx = idx[-1:]
    return [(messages[:i], messages[i].get("content") or "") for i in idx]


def build_samples(rows: pa.Table, tokenizer, *, prefill: str, target: str, max_prompt_length: int,
                  max_completion_length: int, train_prefill: bool = False, tokenize: str = "apart",
                  allow_empty: bool = False) -> list[Sample]:
    """One Sample per trained assistant message, in row order; rows without one are skipped.

    train_prefill: the prefill belongs to the target (loss on it) instead of the prompt.
    tokenize: 'apart' or 'joint' (`token_ids`).
    allow_empty: return [] instead of raising when no row has an assistant message (the eval split).
    """
    check_rows(rows)
    eos = tokenizer.eos_token_id
    samples: list[Sample] = []
    skipped = 0
    msgs_col = rows.column("messages").to_pylist()
    for messages, weight in zip(msgs_col, rows.column("weight").to_pylist(), strict=True):
        pairs = split_targets(messages or [], target)
        if not pairs:
            skipped += 1
            continue
        for context, content in pairs:
            if prefill and content.startswith(prefill) and not train_prefill:
                prompt, answer = render(tokenizer, context, prefill), content[len(prefill):]
            else:  # prefill trained, or imported data without it: the whole message is the target
                prompt, answer = render(tokenizer, context), content
            p_ids, t_ids = token_ids(tokenizer, prompt, answer, tokenize)
            p_ids = p_ids[-max_prompt_length:]
            if eos is not None:
                t_ids = t_ids + [eos]
            samples.append(Sample(p_ids, t_ids[:max_completion_length], float(weight)))
    if skipped:
        log.warning("skipped %d of %d training rows without an assistant message", skipped, rows.num_rows)
    if not samples and not allow_empty:
        raise DriftError(f"empty training set: none of the {rows.num_rows} rows has an assistant message")
    return samples


def token_ids(tokenizer, prompt: str, answer: str, tokenize: str) -> tuple[list[int], list[int]]:
    """(prompt ids, target ids) before truncation and eos.

    'apart': each text tokenized on its own, no special tokens added (the chat template wrote them).
    'joint': as the reference's collator, `prompt + answer` tokenized with the tokenizer's defaults; the
    prompt is its first len(tokenizer(prompt)) tokens and the target the rest, so a token that spans the
    boundary counts as prompt. (The reference appends the eos text before tokenizing; eos is an added token,
    so appending its id after is the same.)
    """
    if tokenize == "joint":
        ids = tokenizer(prompt + answer).input_ids
        n = len(tokenizer(prompt).input_ids)
        return ids[:n], ids[n:]
    return (tokenizer(prompt, add_special_tokens=False).input_ids,
            tokenizer(answer, add_special_tokens=False).input_ids)


def pack(samples: list[Sample], max_tokens: int) -> list[list[Sample]]:
    """Group samples into rows of at most `max_tokens` tokens (best-fit decreasing).

    Greedy bin packing wastes few tokens when lengths vary; a sample longer than max_tokens
    gets a row of its own. Within a row samples keep their order of appearance.
    """
    order = sorted(range(len(samples)), key=lambda i: -len(samples[i]))
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (free tokens, bin index), sorted: bisect finds the best fit
    for i in order:
        n = len(samples[i])
        k = bisect.bisect_left(free, (n, -1))
        if k < len(free):
            room, b = free.pop(k)
            bins[b].append(i)
            bisect.insort(free, (room - n, b))
        else:
            bins.append([i])
            bisect.insort(free, (max_tokens - n, len(bins) - 1))
    return [[samples[i] for i in sorted(b)] for b in bins]
