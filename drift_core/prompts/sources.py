"""Prompt sources -> rows of the prompts table: local JSONL/Parquet, a datasets name, the generator.

Every row is validated before anything is written; errors name the file and line (or row).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from drift_core.config.prompts import PromptsConfig
from drift_core.errors import DriftError
from drift_core.prompts import arithmetic
from drift_core.worlds import is_world_source

_METAMATH_ANSWER = re.compile(r"The answer is:\s*(.*?)\s*$", re.DOTALL)
QUESTION_FIELDS = ("question", "query", "problem", "prompt")
GOLD_FIELDS = ("gold", "answer", "solution_answer")
ID_FIELDS = ("prompt_id", "id", "idx", "problem_id", "unique_id")


def load_prompts(cfg: PromptsConfig, workspace_root: str | Path | None = None) -> list[dict]:
    """Rows with prompt_id, split, question, gold, source, difficulty (docs/design.md §5 prompts)."""
    if cfg.source == "arithmetic":
        probs = arithmetic.generate(cfg.count, cfg.levels, cfg.seed)
        rows = [_row(p["prompt_id"], cfg.split, p["question"], p["gold"], "arithmetic", p["difficulty"]) for p in probs]
        return _select(rows, cfg)
    if cfg.source == "file":
        if not cfg.path:
            raise DriftError("prompts.path is required when prompts.source is 'file'")
        return _select(list(_from_records(_read_file(Path(cfg.path)), cfg, str(cfg.path))), cfg)
    if cfg.source == "hf":
        if not cfg.path:
            raise DriftError("prompts.path (a dataset name) is required when prompts.source is 'hf'")
        return _select(list(_from_records(_read_hf(cfg), cfg, cfg.path)), cfg)
    if is_world_source(cfg.source):
        from drift_core.tiny_world import prompts_file, task_of

        path = prompts_file(workspace_root or ".drift", cfg.split, task_of(cfg.source))
        # Its rows also carry hidden_options (4: a hidden-option item of the choice world; None: an item whose
        # text decides the answer, every arithmetic one), the items the elimination optimum is about.
        return _select(list(_from_records(_read_file(path), cfg, cfg.source, extra=("hidden_options",))), cfg)
    if cfg.source == "benchmark":
        from drift_core.prompts.benchmarks import load_benchmark

        if not cfg.benchmark:
            raise DriftError("prompts.source 'benchmark' needs prompts.benchmark (a set name such as math500)")
        if cfg.shuffle and cfg.shuffle_mode == "datasets":
            return _select(load_benchmark(cfg.benchmark, path=cfg.path), cfg)
        return load_benchmark(cfg.benchmark, path=cfg.path, limit=cfg.limit, shuffle=cfg.shuffle, seed=cfg.seed)
    raise DriftError(f"unknown prompts.source '{cfg.source}'")


def _row(pid: str, split: str, question: str, gold: str, source: str, difficulty: int | None) -> dict:
    return {
        "prompt_id": pid,
        "split": split,
        "question": question,
        "gold": gold,
        "source": source,
        "difficulty": difficulty,
    }


def _select(rows: list[dict], cfg: PromptsConfig) -> list[dict]:
    """Shuffle (when asked), then the first `limit` rows. The rows come filtered (filter_prefix), in source order."""
    if cfg.shuffle and cfg.shuffle_mode == "datasets":
        rows = [rows[i] for i in datasets_order(len(rows), cfg.seed)]
    elif cfg.shuffle:
        random.Random(cfg.seed).shuffle(rows)
    return rows[: cfg.limit] if cfg.limit else rows


def datasets_order(n: int, seed: int) -> list[int]:
    """The row order `datasets.Dataset.shuffle(seed=seed)` gives any dataset of n rows.

    The permutation depends on n and the seed only, so applying it to our filtered rows selects what the
    reference's `load_dataset(...).filter(type startswith prefix).shuffle(seed=42)`, first N, selects.
    """
    import datasets

    return datasets.Dataset.from_dict({"i": list(range(n))}).shuffle(seed=seed)["i"]


def _read_file(path: Path) -> Iterable[tuple[str, dict[str, Any]]]:
    """(location, record) pairs; location is 'file:line' for JSONL, 'file row N' for Parquet."""
    if not path.exists():
        raise DriftError(f"prompt file not found: {path}")
    if not path.is_file():
        raise DriftError(f"prompt file {path} is not a file (a directory?); give prompts.path a .jsonl or .parquet")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        with path.open("rb") as f:
            for lineno, raw in enumerate(f, 1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise DriftError(f"{path}:{lineno}: not UTF-8 text ({exc.reason} at byte {exc.start} of the "
                                     "line); save the file as UTF-8") from None
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DriftError(f"{path}:{lineno}: malformed JSON: {exc.msg}") from None
                if not isinstance(rec, dict):
                    raise DriftError(f"{path}:{lineno}: expected a JSON object")
                yield f"{path}:{lineno}", rec
    elif suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(path).to_pylist()
        except (pa.ArrowException, OSError) as exc:
            if isinstance(exc, OSError) and exc.errno is not None:
                raise  # the OS's own error (permissions, ...): the CLI names the path
            # a 0-byte or cut-short file (a failed copy or download) ends up here; pyarrow names no fix
            size = path.stat().st_size
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DriftError(f"{path}: not a readable Parquet file ({size} bytes: {reason}); it may be empty or "
                             "truncated: copy or export it again") from None
        for i, rec in enumerate(rows):
            yield f"{path} row {i}", rec
    else:
        raise DriftError(f"{path}: unsupported prompt file type '{suffix}' (use .jsonl or .parquet)")


def _read_hf(cfg: PromptsConfig) -> Iterable[tuple[str, dict[str, Any]]]:
    import datasets

    try:
        ds = datasets.load_dataset(cfg.path, cfg.subset, split=cfg.split)
    except Exception as exc:
        raise DriftError(f"cannot load dataset '{cfg.path}' split '{cfg.split}': {exc}") from exc
    if cfg.filter_prefix:
        ds = ds.filter(lambda ex: str(ex.get("type", "")).startswith(cfg.filter_prefix))
    for i, rec in enumerate(ds):
        yield f"{cfg.path}[{cfg.split}] row {i}", rec


def _pick(rec: dict, explicit: str | None, candidates: tuple[str, ...]) -> Any:
    if explicit:
        return rec.get(explicit)
    for name in candidates:
        if rec.get(name) not in (None, ""):
            return rec[name]
    return None


def _from_records(records: Iterable[tuple[str, dict]], cfg: PromptsConfig, source: str,
                  extra: tuple[str, ...] = ()) -> Iterable[dict]:
    """Validated rows; `extra` names integer fields passed through as they are (None when absent)."""
    seen: dict[str, str] = {}
    for idx, (where, rec) in enumerate(records):
        question = _pick(rec, cfg.question_field, QUESTION_FIELDS)
        if question is None or not str(question).strip():
            raise DriftError(f"{where}: empty or missing question (looked for {cfg.question_field or QUESTION_FIELDS})")
        gold = _pick(rec, cfg.gold_field, GOLD_FIELDS)
        if gold is None and isinstance(rec.get("response"), str):
            m = _METAMATH_ANSWER.search(rec["response"])  # MetaMathQA: '... The answer is: X'
            gold = m.group(1) if m else None
        if gold is None or not str(gold).strip():
            raise DriftError(f"{where}: prompt without gold answer (looked for {cfg.gold_field or GOLD_FIELDS})")
        pid = _pick(rec, cfg.id_field, ID_FIELDS)
        pid = str(pid) if pid is not None else f"{Path(source).stem}-{idx}"
        if pid in seen:
            raise DriftError(f"{where}: duplicate prompt_id '{pid}' (first at {seen[pid]})")
        seen[pid] = where
        if cfg.filter_prefix and cfg.source == "file" and not str(rec.get("type", "")).startswith(cfg.filter_prefix):
            continue
        diff = rec.get("difficulty", rec.get("level"))
        row = _row(
            pid,
            cfg.split,
            str(question).strip(),
            str(gold).strip(),
            source,
            int(diff) if isinstance(diff, int | float) else None,
        )
        for name in extra:
            value = rec.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise DriftError(f"{where}: {name} must be an integer or null, got {value!r}")
            row[name] = value
        yield row
