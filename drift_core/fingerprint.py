"""Content fingerprints: short hex digests of what a stage reads, for cache keys and lineage tags.

A fingerprint changes when content changes and only then: file paths, mtimes and object identity
never enter it (a copied workspace keeps its fingerprints). Big files are hashed once per
(path, size, mtime_ns) and the digest memoised in-process, so a cached rerun does not re-read
gigabytes of weights.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from drift_core.config.base import StageConfig

DIGEST_CHARS = 16  # 64 bits: collisions are not a concern at the scale of a workspace's runs
_CHUNK = 1 << 20
_file_memo: dict[tuple[str, int, int], str] = {}


def digest(*parts: Any) -> str:
    """Fingerprint of JSON-able values (configs by content_dump, other pydantic models dumped); order matters,
    dict key order doesn't."""
    blob = json.dumps([_plain(p) for p in parts], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:DIGEST_CHARS]


def _plain(value: Any) -> Any:
    if isinstance(value, StageConfig):
        return value.content_dump()  # speed-only fields never enter a key
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
    """The shards of one rollout run (trajectories and turns), by content (on S3: by the objects' ETags,
    drift_core/table_files.py)."""
    files = [f for table in ("trajectories", "turns") for f in workspace.run_shards(run_id, table)]
    return digest(sorted((workspace.files.relative(f), workspace.files.fingerprint(f)) for f in files))


def rows_fingerprint(rows: list[dict]) -> str:
    """Rows such as prompts, in order."""
    return digest(rows)


# Top-level packages of this project: imports of other names are third-party and not fingerprinted.
PROJECT_PACKAGES = ("drift_core", "drift_mlflow", "tasks", "flows", "cli")
_facts_memo: dict[tuple[str, int, int], tuple] = {}


def code_fingerprint(*names: str) -> str:
    """The source a stage runs: each module's import closure inside the project, and the SQL it names.

    A dotted name ('drift_core.stages.train') stands for that module and every project module it
    imports, directly or not, at module level or inside functions (so editing drift_core/episode.py
    changes the key of every stage that imports it), plus every SQL file those modules name in a
    string ('lookups/run_policy' -> sql/lookups/run_policy.sql; an f-string 'tables/{t}' -> the folder
    sql/tables). A name with a slash ('sql/weights.sql', a folder 'sql/checks') adds SQL by hand. An
    unknown name raises ValueError: a misspelt module must not silently drop out of a cache key.
    """
    parts = set()
    for name in names:
        if "/" in name or name.endswith(".sql"):
            parts.add((name, _sql_fingerprint(name)))
            continue
        for mod in module_closure(name):
            parts.add((mod, file_fingerprint(module_file(mod))))
            parts.update((f"sql/{ref}", _sql_fingerprint(ref)) for ref in _sql_refs(mod))  # ref: file.sql or folder
    return digest(sorted(parts))


def module_closure(name: str) -> set[str]:
    """`name` and every project module it imports transitively (parent packages included)."""
    if _module_path(name) is None:
        raise ValueError(f"code fingerprint: no module {name!r} in this project ({', '.join(PROJECT_PACKAGES)})")
    seen: set[str] = set()
    todo = [name]
    while todo:
        mod = todo.pop()
        if mod in seen or _module_path(mod) is None:
            continue  # `from pkg import name` also proposes pkg.name, which is often not a module
        seen.add(mod)
        parts = mod.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += _project_imports(mod)
    return seen


def module_file(name: str) -> Path:
    path = _module_path(name)
    if path is None:
        raise ValueError(f"code fingerprint: no module {name!r} in this project")
    return path


def _module_path(name: str) -> Path | None:
    top, *rest = name.split(".")
    if top not in PROJECT_PACKAGES or not all(p.isidentifier() for p in rest):
        return None
    base = _package_root(top).joinpath(*rest)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if rest and base.with_name(base.name + ".py").is_file():
        return base.with_name(base.name + ".py")
    return None


@cache
def _package_root(top: str) -> Path:
    """The folder of a top-level project package, without importing it (works for installs too)."""
    spec = importlib.util.find_spec(top)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"code fingerprint: package {top!r} is not importable")
    return Path(next(iter(spec.submodule_search_locations)))


def _project_imports(mod: str) -> tuple[str, ...]:
    """Project module names `mod` imports (candidates: `from a import b` yields a and a.b)."""
    return tuple(f for f in _module_facts(mod)[0] if f.split(".")[0] in PROJECT_PACKAGES)


def _sql_refs(mod: str) -> list[str]:
    """SQL files ('lookups/run_policy.sql') and folders ('tables') under sql/ that `mod` names in strings."""
    from drift_core.sqlfiles import SQL_DIR

    root = Path(SQL_DIR)
    strings, prefixes = _module_facts(mod)[1:]
    refs = [f"{s}.sql" for s in strings if _under_sql(s) and (root / f"{s}.sql").is_file()]
    refs += [p.rstrip("/") for p in prefixes if p.endswith("/") and _under_sql(p) and (root / p).is_dir()]
    return refs


def _under_sql(ref: str) -> bool:
    """A relative path that stays under sql/. Other strings are not SQL references: an absolute one such as
    f"/proc/{pid}/" would join to /proc itself, and globbing it for *.sql scans a tree whose entries vanish
    while it is read (the cache key then fails and the result is not persisted)."""
    p = Path(ref)
    return bool(ref.strip("/")) and not p.is_absolute() and ".." not in p.parts


def _module_facts(mod: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(imported names, string constants, leading constants of f-strings) of a module, memoised by file."""
    path = module_file(mod)
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _facts_memo:
        imports, strings, prefixes = [], [], []
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imports += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from .x import y
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                imports += [base, *(f"{base}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.append(str(node.values[0].value))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
                strings.append(node.value)
        _facts_memo[key] = (tuple(imports), tuple(strings), tuple(prefixes))
    return _facts_memo[key]


def _sql_fingerprint(name: str) -> str:
    from drift_core.sqlfiles import SQL_DIR

    rel = name.removeprefix("sql/")
    p = Path(SQL_DIR) / rel
    if p.is_dir():
        return dir_fingerprint(p, "**/*.sql")
    if p.is_file():
        return file_fingerprint(p)
    raise ValueError(f"code fingerprint: no SQL file or folder {name!r} under {SQL_DIR}")
