"""Runs `drift` commands, in this one process, on a tmpfs mounted inside a private mount namespace
(tests/faults/test_cli_errors.py starts it under `unshare --user --map-root-user --mount`, so the mount
needs no root and vanishes with the process). Prints one JSON line: each command's exit code and
stderr, and whether the workspace stayed byte-identical.

    python cli_errors_worker.py readonly MOUNT A.jsonl B.jsonl
    python cli_errors_worker.py full MOUNT SMALL.jsonl BIG.jsonl
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import traceback
from pathlib import Path

from cli.main import main

ARITHMETIC = ["--set", "prompts.source=arithmetic", "--set", "prompts.count=4"]


def drift(*args) -> dict:
    """`drift args...` as the console script runs it: exit code and stderr (unwrapped)."""
    sys.argv = ["drift", *map(str, args)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        except BaseException:  # noqa: BLE001 - a traceback is what the test looks for
            code = "raised"
            err.write(traceback.format_exc())
    return {"args": [str(a) for a in args], "code": code, "stderr": " ".join(err.getvalue().split())}


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root but DuckDB's spill folder, by content (hex)."""
    return {str(p.relative_to(root)): p.read_bytes().hex() for p in sorted(root.rglob("*"))
            if p.is_file() and "tmp" not in p.relative_to(root).parts}


def mount(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)


def readonly(where: Path, first: Path, second: Path) -> dict:
    mount(where, "4m")
    ws = where / "ws"
    setup = drift("import-jsonl", first, "-w", ws)
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    before = snapshot(ws)
    runs = [drift("prompts", *ARITHMETIC, "-w", where / "new"),  # a new workspace there
            drift("prompts", *ARITHMETIC, "-w", ws),  # the existing one
            drift("import-jsonl", second, "-w", ws)]
    return {"setup": setup, "runs": runs, "unchanged": snapshot(ws) == before, "ws": str(ws)}


def full(where: Path, small: Path, big: Path) -> dict:
    mount(where, "384k")
    ws = where / "ws"
    setup = drift("import-jsonl", small, "-w", ws)
    before = snapshot(ws)
    runs = [drift("import-jsonl", big, "-w", ws)]
    temp = [str(p) for p in ws.rglob("*.tmp")]
    return {"setup": setup, "runs": runs, "unchanged": snapshot(ws) == before, "temp_files": temp, "ws": str(ws)}


if __name__ == "__main__":
    mode, *paths = sys.argv[1:]
    result = {"readonly": readonly, "full": full}[mode](*map(Path, paths))
    print(json.dumps(result))
