"""Content fingerprints: short hex digests of what a stage reads, for cache keys and lineage tags.

A fingerprint changes when content changes and only then: file paths, mtimes and object identity
never enter it (a copied workspace keeps its fingerprints). Big files are hashed once per
(path, size, mtime_ns) and the digest memoised in-process, so a cached rerun does not re-read
gigabytes of weights.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

DIGEST_CHARS = 16  # 64 bits: collisions are not a concern at the scale of a workspace's runs
_CHUNK = 1 << 20
_file_memo: dict[tuple[str, int, int], str] = {}

REPO = Path(__file__).resolve().parents[1]


def digest(*parts: Any) -> str:
    """Fingerprint of JSON-able values (pydantic models are dumped); order matters, dict key order doesn't."""
    blob = json.dumps([_plain(p) for p in parts], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:DIGEST_CHARS]


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Path):
        raise TypeError("paths are not content; fingerprint the file or directory instead")
    return value


def file_fingerprint(path: str | Path) -> str:
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _file_memo:
        h = hashlib.sha256()
        with p.open("rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
        _file_memo[key] = h.hexdigest()[:DIGEST_CHARS]
    return _file_memo[key]


def files_fingerprint(root: str | Path, files: Iterable[Path]) -> str:
    """Fingerprint of files under `root`: their paths relative to root and their contents."""
    root = Path(root)
    return digest(sorted((f.relative_to(root).as_posix(), file_fingerprint(f)) for f in files))


def dir_fingerprint(root: str | Path, pattern: str = "**/*", exclude: tuple[str, ...] = ()) -> str:
    """Fingerprint of a directory tree; names in `exclude` (any path component) are skipped."""
    root = Path(root)
    files = [
        f for f in root.glob(pattern)
        if f.is_file() and not any(part in exclude for part in f.relative_to(root).parts)
    ]
    return files_fingerprint(root, files)


# Files that never change what a model computes: trainer checkpoints, logs, caches.
MODEL_EXCLUDE = ("checkpoints", "runs", "logs", ".cache", "__pycache__")


def model_fingerprint(model: str) -> str:
    """A local model directory by content; a hub id by its name (pin a revision in the id to be exact)."""
    p = Path(model).expanduser()
    if p.is_dir():
        return dir_fingerprint(p, exclude=MODEL_EXCLUDE + tuple(n for n in _checkpoint_dirs(p)))
    return digest("hub", model)


def _checkpoint_dirs(p: Path) -> list[str]:
    return [d.name for d in p.iterdir() if d.is_dir() and d.name.startswith("checkpoint-")]


def rollout_fingerprint(workspace, run_id: str) -> str:
    """The shards of one rollout run (trajectories and turns), by content."""
    files = []
    for table in ("trajectories", "turns"):
        d = workspace.table_dir(table) / run_id
        files += sorted(d.glob("shard-*.parquet"))
    return files_fingerprint(workspace.root / "tables", files)


def rows_fingerprint(rows: list[dict]) -> str:
    """Rows such as prompts, in order."""
    return digest(rows)


def code_fingerprint(*names: str) -> str:
    """The source of modules/packages (dotted names under the repo) and SQL files ('sql/weights.sql').

    Part of every cache key, so editing a stage's code recomputes that stage.
    """
    parts = []
    for name in names:
        p = REPO / name if name.endswith(".sql") or "/" in name else REPO / name.replace(".", "/")
        if p.is_dir():
            sql = p == REPO / "sql" or (REPO / "sql") in p.parents
            parts.append((name, dir_fingerprint(p, "**/*.sql" if sql else "**/*.py")))
        elif p.with_suffix(".py").is_file():
            parts.append((name, file_fingerprint(p.with_suffix(".py"))))
        elif p.is_file():
            parts.append((name, file_fingerprint(p)))
        else:
            parts.append((name, None))  # not there (yet): the key still differs once it appears
    return digest(parts)
