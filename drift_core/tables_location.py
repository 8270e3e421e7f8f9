"""Which tables a workspace uses: its local `tables/` folder, or the `tables_uri` it was first given.

The choice is recorded in `<workspace>/tables.json` the first time a workspace is opened with a
tables_uri (the config field, default $DRIFT_TABLES_URI), so every later opening finds the same tables
without being told: the stages a flow runs get the workspace directory only (docs/design.md §2), and a
command run without the variable must not start an empty local table tree beside the real one.
"""

from __future__ import annotations

import json
from pathlib import Path

from drift_core.errors import DriftError
from drift_core.faults import write_json
from drift_core.table_files import check_s3_uri

POINTER = "tables.json"


def recorded_tables_uri(root: Path) -> str | None:
    """The tables_uri `root` records, or None (its tables are local)."""
    pointer = root / POINTER
    if not pointer.exists():
        return None
    try:
        uri = json.loads(pointer.read_text())["tables_uri"]
    except (ValueError, KeyError, TypeError):
        raise DriftError(f"{pointer}: unreadable (expected {{\"tables_uri\": \"s3://BUCKET/PREFIX\"}})") from None
    return check_s3_uri(uri, f"{pointer}: tables_uri")


def bind_tables_uri(root: Path, tables_uri: str | None) -> str | None:
    """The tables_uri of the workspace `root`: the recorded one; `tables_uri` (None or '' = not given)
    must agree with it, or is recorded now when the workspace has none and no local tables yet."""
    recorded = recorded_tables_uri(root)
    if not tables_uri:
        return recorded
    uri = check_s3_uri(tables_uri)
    if recorded is not None:
        if recorded != uri:
            raise DriftError(f"the workspace {root} keeps its tables at {recorded} ({root / POINTER}), not at "
                             f"tables_uri {uri}; use another workspace directory for other tables")
        return uri
    if (root / "tables").exists():
        raise DriftError(f"the workspace {root} keeps its tables on local disk ({root / 'tables'}); tables_uri "
                         f"{uri} applies to a new workspace: use another workspace directory")
    write_json(root / POINTER, {"tables_uri": uri})
    return uri
