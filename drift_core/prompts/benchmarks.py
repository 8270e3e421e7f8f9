"""Named evaluation sets of the paper, loaded through `datasets`, mapped to prompts-table rows.

Each set knows its hub path, subsets, split, and how a record becomes (question, gold). Multiple-
choice sets render their options into the question ('A. ...' per line) and their gold is the
letter, so the episode protocol and `is_correct` apply unchanged; they also carry the instruction
the reference uses for them. `path=` loads a local copy (JSONL / JSON / Parquet file or a saved
dataset directory) through the same mapping, which is how tests and offline machines use them.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_core.errors import DriftError

MC_INSTRUCTION = (
    "You are solving multiple-choice questions. Only give the final answer letter ({letters}) "
    "between <answer> and </answer>."
)
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


def last_boxed(text: str) -> str | None:
    """Content of the last \\boxed{...} in a solution, braces balanced; None when there is none."""
    starts = list(_BOXED.finditer(text or ""))
    if not starts:
        return None
    i = starts[-1].end()
    depth = 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j].strip()
    return None


def render_choices(question: str, options: list[str]) -> str:
    return "\n".join([question.strip()] + [f"{chr(65 + i)}. {str(o).strip()}" for i, o in enumerate(options)])


def _letter(answer: Any, n_options: int) -> str | None:
    """Gold as a letter from an index (0-based int) or a letter string."""
    if isinstance(answer, bool) or answer is None:
        return None
    if isinstance(answer, int) or (isinstance(answer, str) and answer.strip().isdigit()):
        k = int(answer)
        return chr(65 + k) if 0 <= k < n_options else None
    text = str(answer).strip().upper()
    if len(text) == 1 and "A" <= text < chr(65 + n_options):
        return text
    return None


def _level(value: Any) -> int | None:
    m = re.search(r"\d+", str(value)) if value is not None else None
    return int(m.group()) if m else None


# -- per-set mappings: record -> (question, gold, difficulty); gold None = missing -----------------
def map_math500(rec: dict) -> tuple[str, str | None, int | None]:
    gold = rec.get("answer") or last_boxed(rec.get("solution", ""))
    return rec.get("problem", ""), gold, _level(rec.get("level"))


def map_hendrycks(rec: dict) -> tuple[str, str | None, int | None]:
    return rec.get("problem", ""), last_boxed(rec.get("solution", "")), _level(rec.get("level"))


def map_theoremqa(rec: dict) -> tuple[str, str | None, int | None]:
    question = str(rec.get("Question", rec.get("question", ""))).strip()
    if rec.get("Picture") not in (None, "", "None"):
        question = f"<image>\n{question}"  # as the reference: the image itself is not shown
    answer = rec.get("Answer", rec.get("answer"))
    if isinstance(answer, list | tuple):
        answer = next((a for a in answer if str(a).strip()), None)
    return question, None if answer is None else str(answer), None


def map_gpqa(rec: dict) -> tuple[str, str | None, int | None]:
    """Correct + 3 incorrect answers, shuffled by a hash of the question (stable across runs)."""
    question = str(rec.get("Question", rec.get("question", ""))).strip()
    correct = rec.get("Correct Answer", rec.get("correct_answer"))
    wrong = [rec.get(f"Incorrect Answer {i}") for i in (1, 2, 3)]
    options = [str(o).strip() for o in [correct, *wrong] if o is not None and str(o).strip()]
    if correct is None or not options:
        return question, None, None
    order = list(range(len(options)))
    random.Random(int(hashlib.sha256(question.encode()).hexdigest()[:8], 16)).shuffle(order)
    shuffled = [options[i] for i in order]
    return render_choices(question, shuffled), chr(65 + order.index(0)), None


def map_mmlu(rec: dict) -> tuple[str, str | None, int | None]:
    options = list(rec.get("choices") or rec.get("options") or [])
    return render_choices(str(rec.get("question", "")), options), _letter(rec.get("answer"), len(options)), None


def map_mmlu_pro(rec: dict) -> tuple[str, str | None, int | None]:
    options = [o for o in (rec.get("options") or []) if str(o).strip() and str(o) != "N/A"]
    gold = _letter(rec.get("answer"), len(options)) or _letter(rec.get("answer_index"), len(options))
    return render_choices(str(rec.get("question", "")), options), gold, None


@dataclass(frozen=True)
class Benchmark:
    name: str
    hf_path: str
    split: str
    mapper: Callable[[dict], tuple[str, str | None, int | None]]
    configs: tuple[str, ...] | None = (None,)  # subsets to concatenate; None = discover on the hub
    id_field: str | None = None
    instruction: str | None = None  # protocol instruction for this set (None: the protocol's own)

    @property
    def multiple_choice(self) -> bool:
        return self.instruction is not None


HENDRYCKS_SUBSETS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                     "number_theory", "prealgebra", "precalculus")
BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in [
        Benchmark("math500", "HuggingFaceH4/MATH-500", "test", map_math500, id_field="unique_id"),
        Benchmark("hendrycks_math", "EleutherAI/hendrycks_math", "test", map_hendrycks, HENDRYCKS_SUBSETS),
        Benchmark("theoremqa", "TIGER-Lab/TheoremQA", "test", map_theoremqa, id_field="id"),
        Benchmark("gpqa", "Idavidrein/gpqa", "train", map_gpqa, ("gpqa_diamond",), id_field="Record ID",
                  instruction=MC_INSTRUCTION.format(letters="A-D")),
        Benchmark("mmlu-redux", "edinburgh-dawg/mmlu-redux-2.0", "test", map_mmlu, None,
                  instruction=MC_INSTRUCTION.format(letters="A-D")),
        Benchmark("mmlu-pro", "TIGER-Lab/MMLU-Pro", "test", map_mmlu_pro, id_field="question_id",
                  instruction=MC_INSTRUCTION.format(letters="A-J")),
    ]
}
ALIASES = {"math-500": "math500", "math_500": "math500", "hendrycks-math": "hendrycks_math",
           "gpqa_diamond": "gpqa", "gpqa-diamond": "gpqa", "mmlu_redux": "mmlu-redux",
           "mmlu_pro": "mmlu-pro", "theorem-qa": "theoremqa"}


def get_benchmark(name: str) -> Benchmark:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in BENCHMARKS:
        raise DriftError(f"unknown evaluation set '{name}'; known: {', '.join(sorted(BENCHMARKS))}")
    return BENCHMARKS[key]


def _records(bench: Benchmark, path: str | None) -> Iterable[tuple[str, str, dict]]:
    """(where, subset, record) from a local copy or the hub."""
    import datasets

    if path:
        p = Path(path)
        if not p.exists():
            raise DriftError(f"{bench.name}: local copy not found: {p}")
        kind = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}.get(p.suffix.lower())
        try:
            ds = (datasets.load_dataset(kind, data_files=str(p), split="train") if kind
                  else datasets.load_from_disk(str(p)))
        except Exception as exc:
            raise DriftError(f"{bench.name}: cannot read {p}: {exc}") from exc
        if isinstance(ds, datasets.DatasetDict):
            ds = ds[bench.split]
        for i, rec in enumerate(ds):
            yield f"{p} row {i}", str(rec.get("subset") or ""), rec
        return
    configs = bench.configs
    try:
        if configs is None:
            configs = tuple(datasets.get_dataset_config_names(bench.hf_path))
        for cfg in configs:
            ds = datasets.load_dataset(bench.hf_path, cfg, split=bench.split)
            for i, rec in enumerate(ds):
                yield f"{bench.hf_path}[{cfg or 'default'}/{bench.split}] row {i}", cfg or "", rec
    except DriftError:
        raise
    except Exception as exc:
        raise DriftError(f"cannot load {bench.name} ({bench.hf_path}): {exc}; pass a local copy with path=") from exc


def load_benchmark(name: str, *, path: str | None = None, limit: int | None = None, shuffle: bool = False,
                   seed: int = 42) -> list[dict]:
    """Rows of the prompts table (prompt_id, split, question, gold, source, difficulty) for a named set."""
    bench = get_benchmark(name)
    rows: list[dict] = []
    seen: set[str] = set()
    for idx, (where, subset, rec) in enumerate(_records(bench, path)):
        question, gold, level = bench.mapper(rec)
        if not str(question).strip():
            raise DriftError(f"{where}: empty question")
        if gold is None or not str(gold).strip():
            raise DriftError(f"{where}: no gold answer (the {bench.name} mapping found none)")
        raw_id = rec.get(bench.id_field) if bench.id_field else None
        base = str(raw_id) if raw_id not in (None, "") else (f"{subset}-{idx}" if subset else str(idx))
        pid = f"{bench.name}-{base}"
        if pid in seen:
            raise DriftError(f"{where}: duplicate prompt_id '{pid}'")
        seen.add(pid)
        rows.append({"prompt_id": pid, "split": bench.split, "question": str(question).strip(),
                     "gold": str(gold).strip(), "source": bench.name, "difficulty": level})
    if not rows:
        raise DriftError(f"{bench.name}: no problems loaded")
    if shuffle:
        random.Random(seed).shuffle(rows)
    return rows[:limit] if limit else rows
