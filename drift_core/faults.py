"""Crash safety: atomic file writes, and the fault points the kill tests stop a process at.

`atomic_write` is how every manifest and summary file is written (docs/reliability.md): a temp file
next to the target, written, flushed and fsync'd, then renamed over it with os.replace and the
directory fsync'd. A reader, or a rerun after a kill or a full disk, sees the old file or the new one,
never a part of one (a 0-byte `_run.json` after a disk-full was how this started).

`fault_point(name)` does nothing unless the environment variable DRIFT_FAULT_POINT names that point;
then the process SIGKILLs itself there (no cleanup, no `finally`, as a real kill or power loss). The
value is `name` (the first time the point is reached) or `name#N` (the N-th time). The points are
listed in docs/reliability.md; tests/faults/ runs a stage with one set, then reruns it.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

ENV = "DRIFT_FAULT_POINT"
_hits: dict[str, int] = {}


def fault_point(name: str) -> None:
    """SIGKILL this process here when DRIFT_FAULT_POINT is `name` (or `name#N` and this is hit N)."""
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition("#")
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] == (int(nth) if nth else 1):
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_path(path: str | Path) -> None:
    """fsync a file or a directory (a directory: so a rename in it survives a power loss). Platforms
    that cannot fsync a directory (Windows) skip it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Replace `path` with `data` all at once: temp file, write, flush, fsync, os.replace, fsync dir.

    On any error (a full disk included) the temp file is removed and `path` keeps what it had."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    raw = data.encode() if isinstance(data, str) else data
    try:
        with open(tmp, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        fault_point("atomic_write.before_replace")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # gone after the rename; a leftover only when something failed
    fsync_path(path.parent)
    return path


def write_json(path: str | Path, data: Any, **dumps: Any) -> Path:
    """`atomic_write` of json.dumps(data) (indent=2 unless given)."""
    dumps.setdefault("indent", 2)
    return atomic_write(path, json.dumps(data, **dumps))
