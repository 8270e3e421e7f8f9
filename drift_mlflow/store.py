"""The workspace's own MLflow store (SQLite + <ws>/mlartifacts) follows the workspace when it moves.

MLflow records artifact locations as absolute URIs (experiments, runs, logged models, model
versions). After a workspace is copied or moved, new runs would write into the old place and the
champion would load from it. `follow_workspace` rewrites the old root to the new one in those
columns, in one SQLite transaction, when the store's experiment names another root than the
workspace it is in (docs/design.md §5, relocatable workspaces). A server store is never touched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlparse

# (table, column) pairs that hold artifact locations in MLflow 3's SQL schema
LOCATION_COLUMNS = (
    ("experiments", "artifact_location"),
    ("runs", "artifact_uri"),
    ("logged_models", "artifact_location"),
    ("model_versions", "source"),
    ("model_versions", "storage_location"),
)


def artifact_root(workspace: Path) -> Path:
    return Path(workspace).resolve() / "mlartifacts"


def follow_workspace(db: Path, experiment: str, workspace: Path) -> str | None:
    """Re-point the store's artifact locations at `workspace`; returns the old root when it moved."""
    if not db.is_file():
        return None
    new = artifact_root(workspace)
    con = sqlite3.connect(db)
    try:
        hit = con.execute("select artifact_location from experiments where name = ?", (experiment,)).fetchone()
        if hit is None or not hit[0] or not hit[0].startswith("file:"):
            return None
        old = Path(unquote(urlparse(hit[0]).path))
        if old == new or old.name != "mlartifacts":
            return None
        tables = {r[0] for r in con.execute("select name from sqlite_master where type = 'table'")}
        with con:  # one transaction: all columns move together or none does
            for old_text, new_text in ((old.as_uri(), new.as_uri()), (str(old), str(new))):
                for table, column in LOCATION_COLUMNS:
                    if table not in tables:
                        continue
                    con.execute(
                        f"update {table} set {column} = ? || substr({column}, ?) "
                        f"where substr({column}, 1, ?) = ?",
                        (new_text, len(old_text) + 1, len(old_text), old_text),
                    )
        return str(old)
    finally:
        con.close()
