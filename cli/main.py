"""Entry point: registers every module in cli/commands and maps DriftError to exit code 1.

Failures of the machine rather than the input (a full disk, a read-only or forbidden location) come
as OSError from Python and pyarrow, or as duckdb.IOException from DuckDB; both become one line that
names the path and what to do, exit code 1, no traceback. Anything else is a bug: its traceback stays.
"""

from __future__ import annotations

import errno
import importlib
import json
import pkgutil
import re
import sys

from rich.console import Console

import cli.commands
from cli.app import app
from drift_core.errors import DriftError

for mod in pkgutil.iter_modules(cli.commands.__path__):
    importlib.import_module(f"cli.commands.{mod.name}")

# errno -> (what happened, what to do)
_OS_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free some space (or point --workspace at another disk) and rerun"),
    errno.EDQUOT: ("disk quota exceeded", "free some space (or point --workspace at another disk) and rerun"),
    errno.EROFS: ("read-only file system", "use a writable --workspace (or --out) location"),
    errno.EACCES: ("permission denied", "use a location you may write to, or fix its permissions"),
    errno.EPERM: ("operation not permitted", "use a location you may write to, or fix its permissions"),
}
_TEXT_ERRNO = {"No space left on device": errno.ENOSPC, "Disk quota exceeded": errno.EDQUOT,
               "Read-only file system": errno.EROFS, "Permission denied": errno.EACCES}


def os_error_message(exc: BaseException) -> str | None:
    """One line for an OSError or a DuckDB IO error, naming the path; None for any other error."""
    text = str(exc)
    if isinstance(exc, OSError):
        code, path = exc.errno, exc.filename
        if code is None:  # pyarrow's OSError carries the reason in its text only
            code = next((c for t, c in _TEXT_ERRNO.items() if t in text), None)
    elif type(exc).__name__ == "IOException" and type(exc).__module__.startswith(("duckdb", "_duckdb")):
        m = re.search(r'"errno"\s*:\s*"(\d+)"', text)
        code = int(m.group(1)) if m else next((c for t, c in _TEXT_ERRNO.items() if t in text), None)
        m = re.search(r'file \\?"(.+?)\\?"', text)
        path = m.group(1) if m else None
        if m is None:
            m = re.search(r'"exception_message"\s*:\s*("(?:[^"\\]|\\.)*")', text)
            text = json.loads(m.group(1)) if m else text
    else:
        return None
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    what, todo = _OS_ERRORS.get(code, (None, None))
    if what is None:
        return first  # another OS error (EIO, ENOENT, ...): its own text names the path
    return f"{what}: {path}: {todo}" if path else f"{what} ({first}): {todo}"


def _fail(message: str) -> None:
    from rich.markup import escape

    # escaped: a message may hold brackets ("[1, 2]") that rich would read as markup
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(1)


def main() -> None:
    try:
        app()
    except DriftError as exc:
        _fail(str(exc))
    except Exception as exc:
        message = os_error_message(exc)
        if message is None:
            raise
        _fail(message)


if __name__ == "__main__":
    main()
