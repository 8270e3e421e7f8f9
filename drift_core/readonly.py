"""Read-only, confined SQL over the warehouse (`drift sql`): what it runs changes no file and reads none
outside the workspace's tables.

Three guards; each of the first and the last refuses every write on its own (tests/faults/
test_sql_confinement.py):
1. Every statement must be a query: SELECT (also WITH, FROM, VALUES, DESCRIBE, SHOW, SUMMARIZE) or
   EXPLAIN [ANALYZE] of one. COPY, EXPORT, ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL, CREATE (temp
   tables, views, macros), EXPLAIN ANALYZE COPY ... are refused before anything runs.
2. The warehouse is opened read_only: DuckDB refuses writes to it.
3. The connection opens no file at all. Its `trajectories` / `turns` are temporary views over Arrow
   datasets of this workspace's shard files (Arrow reads them, not DuckDB), made before DuckDB's
   external access is disabled (no file read or written, no extension installed or loaded, no Python
   variable scanned) and the configuration locked (no SET undoes it). So `read_csv('/etc/passwd')`,
   `glob(...)`, another workspace's Parquet or a write that slipped past guard 1 fail in DuckDB itself.
   Spill files go to a private temporary directory outside the workspace, removed after. (DuckDB
   still lets the connection open two things: that directory, and its own database file, which it
   refuses to COPY over; `read_blob` of warehouse.duckdb reads the warehouse's own bytes.)
`--out FILE` is written by drift (not by the query), to FILE only, never inside the workspace
(drift_core/writers.py); this module only reads.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from duckdb.sqltypes import DuckDBPyType

from drift_core.errors import DriftError
from drift_core.sqlfiles import quote_ident, run_rendered, run_sql
from drift_core.store import SHARDED_TABLES, Workspace

READ_TYPES = {"SELECT", "EXPLAIN"}
SAVE_HINT = "to save rows, run the query with --format csv|json|parquet --out FILE (a file outside the workspace)"
# What to do instead, by refused statement type.
HINTS = {
    "COPY": SAVE_HINT, "EXPORT": SAVE_HINT,
    "ATTACH": "only this workspace's warehouse is read; query another one with -w DIR",
    "DETACH": "only this workspace's warehouse is read; query another one with -w DIR",
    "LOAD": "extensions cannot be installed or loaded in drift sql",
    "SET": "settings cannot be changed in drift sql (read them with select * from duckdb_settings())",
    "PRAGMA": "settings cannot be changed in drift sql (read them with select * from duckdb_settings(); "
              "describe TABLE lists a table's columns)",
    "CALL": "use a query instead (e.g. select * from duckdb_settings(), describe TABLE)",
    "CREATE": "put intermediate results in a WITH clause; only the stages (drift rollout, weights, eval...) "
              "create tables",
}
WRITE_HINT = "only the stages (drift rollout, drift weights, drift eval...) write the warehouse"


def run_readonly(workspace: Workspace, query: str) -> pa.Table:
    """Run `query` (one or more read statements) on the warehouse; returns the last one's rows."""
    with confined_connection(workspace) as con:
        statements = check_statements(con, query)
        try:
            for st in statements[:-1]:
                con.execute(st).fetchall()
            rel = con.sql(statements[-1].query)
            return _arrow_safe(rel).to_arrow_table() if rel is not None else pa.table({})
        except duckdb.PermissionException as exc:
            raise DriftError(
                f"drift sql reads only this workspace's tables and views (`show tables` lists them), no file "
                f"({_first_line(exc)}). Import trajectories with drift import-jsonl; read other files with DuckDB "
                "itself"
            ) from None
        except duckdb.Error as exc:
            raise DriftError(f"SQL error: {str(exc).strip()}{_missing_table_hint(exc)}") from None


@contextmanager
def confined_connection(workspace: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse that opens no file (guards 2 and 3 above)."""
    con = workspace.connect(read_only=True)  # its shard views already point at this workspace
    spill = tempfile.mkdtemp(prefix="drift-sql-")
    try:
        _shards_through_arrow(con, workspace)
        run_sql(con, "settings/sql_confinement", {"temp_directory": spill})
        yield con
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _shards_through_arrow(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> None:
    """Shadow each shard view with a temporary view over an Arrow dataset of the same files.

    The stored view is `read_parquet('<ws>/tables/<t>/**/*.parquet', union_by_name = true)`; here the
    same files (the zero-row _schema.parquet first, so the columns come in the DDL's order) under their
    union schema: a shard written before a column was added reads it as NULL, as there."""
    for table in SHARDED_TABLES:
        root = workspace.files.location(table)
        files = workspace.files.glob(f"{table}/**/*.parquet")  # local disk or S3 (drift_core/table_files.py)
        if not files:
            continue  # no _schema.parquet (not a stage-made workspace): reading the stored view is refused
        first = workspace.files.location(f"{table}/_schema.parquet")
        files.sort(key=lambda f: f != first)
        fs = workspace.files.arrow(first)[0]
        paths = [workspace.files.arrow(f)[1] for f in files]
        try:
            schema = pa.unify_schemas([pq.read_schema(f, filesystem=fs) for f in paths], promote_options="permissive")
        except (pa.ArrowException, OSError) as exc:
            raise DriftError(f"cannot read the {table} shards under {root}: {exc}") from None
        source = f"_drift_{table}_shards"
        con.register(source, ds.dataset(paths, schema=schema, format="parquet", filesystem=fs))
        run_rendered(con, "io/arrow_view", table=quote_ident(table), source=quote_ident(source))


def check_statements(con: duckdb.DuckDBPyConnection, query: str) -> list:
    """The statements of `query`, each a query or an EXPLAIN of one; otherwise DriftError, nothing run."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise DriftError(f"SQL error: {str(exc).strip()}") from None
    if not statements:
        raise DriftError("empty query")
    for st in statements:
        kind = _kind(st)
        if kind == "EXPLAIN":
            inner = _explained(con, st.query)
            if inner != "SELECT":
                _refuse(f"EXPLAIN of {_a(inner or 'non-query')} statement", inner or "", st.query,
                        "(EXPLAIN ANALYZE runs what it explains)")
        elif kind not in READ_TYPES:
            _refuse(f"{_a(_name(kind, st.query))} statement", kind, st.query, "")
    return statements


def _kind(st) -> str:
    try:
        return st.type.name
    except ValueError:  # a statement type the Python enum does not know (e.g. UPDATE EXTENSIONS)
        return "UNKNOWN"


def _name(kind: str, text: str) -> str:
    """What the user wrote: DuckDB files INSTALL under LOAD; an unknown type by its first words."""
    words = [w for _, w in _words(text)]
    if kind == "LOAD" and words[:1] in (["install"], ["force"]):
        return "INSTALL"
    return " ".join(words[:2]).upper() if kind == "UNKNOWN" else kind


def _a(name: str) -> str:
    return ("an " if name[:1] in "AEIOU" else "a ") + name


def _refuse(what: str, kind: str, text: str, why: str) -> None:
    hint = HINTS.get(kind, WRITE_HINT)
    raise DriftError(
        f"drift sql is read-only: refusing {what} ({text.strip()[:80]!r}){' ' + why if why else ''}; "
        f"nothing ran and the warehouse is unchanged. {hint[0].upper()}{hint[1:]}"
    )


def _words(text: str) -> list[tuple[int, str]]:
    """(offset, lower-case text) of each token of `text` but comments, by DuckDB's tokenizer."""
    tokens = duckdb.tokenize(text)
    out = []
    for i, (off, kind) in enumerate(tokens):
        if kind != duckdb.token_type.comment:
            end = tokens[i + 1][0] if i + 1 < len(tokens) else len(text)
            out.append((off, text[off:end].strip().lower()))
    return out


def _explained(con: duckdb.DuckDBPyConnection, text: str) -> str | None:
    """The type of the statement an EXPLAIN [ANALYZE | (options)] statement explains; None if unclear.

    Python's Statement does not expose it, so the EXPLAIN prefix is skipped by DuckDB's tokenizer
    (comments included) and the rest parsed again. Anything unexpected gives None: refused."""
    words = _words(text)
    if not words or words[0][1] != "explain":
        return None
    j = 1
    if j < len(words) and words[j][1] in ("analyze", "analyse"):
        j += 1
    elif j < len(words) and words[j][1] == "(":  # EXPLAIN (ANALYZE, FORMAT json) ...
        depth = 0
        while j < len(words):
            depth += {"(": 1, ")": -1}.get(words[j][1], 0)
            j += 1
            if depth == 0:
                break
    if j >= len(words):
        return None
    try:
        inner = con.extract_statements(text[words[j][0]:])
    except duckdb.Error:
        return None
    return _kind(inner[0]) if len(inner) == 1 else None


# DuckDB types that Arrow cannot carry faithfully (VARIANT arrives as opaque binary structs, BIGNUM as an
# opaque extension, BIT as bytes, HUGEINT as a decimal that cannot hold its range, TIME WITH TIME ZONE
# without its offset): the result has them as DuckDB's text form.
NOT_IN_ARROW = {"variant", "bignum", "bit", "hugeint", "uhugeint", "time with time zone"}


def _contains(t, ids: set[str]) -> bool:
    if t.id in ids:
        return True
    if t.id in ("list", "array", "struct", "map", "union"):
        return any(isinstance(c, DuckDBPyType) and _contains(c, ids) for _, c in t.children)
    return False


def text_columns(rel, keep) -> str | None:
    """`rel`'s columns, cast to varchar where `keep(type)` is false; None when none is cast."""
    exprs, cast = [], False
    for name, t in zip(rel.columns, rel.types, strict=True):
        q = quote_ident(name)
        if keep(t):
            exprs.append(q)
        else:
            exprs.append(f"{q}::varchar as {q}")
            cast = True
    return ", ".join(exprs) if cast else None


def _arrow_safe(rel):
    columns = text_columns(rel, lambda t: not _contains(t, NOT_IN_ARROW))
    return rel.project(columns) if columns else rel


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


# Tables that exist only once a stage has written them, and the command that does.
BUILT_BY = {
    "returns": "drift weights (or drift import-jsonl)", "weights": "drift weights", "weightings": "drift weights",
    "weight_diagnostics": "drift weights", "eval_trajectories": "drift eval", "eval_turns": "drift eval",
    "eval_metrics": "drift eval",
}


def _missing_table_hint(exc: Exception) -> str:
    """'Table with name weights does not exist' is clearer with the command that creates it."""
    if not isinstance(exc, duckdb.CatalogException):
        return ""
    for table, command in BUILT_BY.items():
        if f"Table with name {table} does not exist" in str(exc):
            return f"\n(the {table} table is written by `{command}`, which has not run in this workspace yet)"
    return ""
