"""Read-only SQL over the warehouse (`drift sql`): a writing statement is refused, nothing changes.

Two guards: the warehouse is opened with read_only=True (DuckDB refuses writes to it), and every
statement must be a query (SELECT, EXPLAIN, DESCRIBE/SHOW, SUMMARIZE...), so `COPY ... TO`, `ATTACH`,
`INSTALL`, `SET` or writes to temp tables are refused before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from drift_core.errors import DriftError
from drift_core.sqlfiles import quote_literal, run_rendered, run_sql
from drift_core.store import Workspace

READ_TYPES = {"SELECT", "EXPLAIN"}
FORMATS = ("table", "csv", "json", "parquet")


def run_readonly(workspace: Workspace, query: str) -> pa.Table:
    """Run `query` (one or more read statements) on the warehouse; returns the last one's rows."""
    con = workspace.connect(read_only=True)
    try:
        try:
            statements = con.extract_statements(query)
        except duckdb.Error as exc:
            raise DriftError(f"SQL error: {exc}") from None
        if not statements:
            raise DriftError("empty query")
        for st in statements:
            kind = st.type.name
            if kind not in READ_TYPES:
                raise DriftError(
                    f"drift sql is read-only: refusing a {kind} statement "
                    f"({st.query.strip()[:60]!r}); the warehouse is unchanged"
                )
        try:
            for st in statements[:-1]:
                con.execute(st).fetchall()
            rel = con.sql(statements[-1].query)
            return rel.to_arrow_table() if rel is not None else pa.table({})
        except duckdb.Error as exc:
            raise DriftError(f"SQL error: {str(exc).strip()}{_missing_table_hint(exc)}") from None
    finally:
        con.close()


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


def write_result(table: pa.Table, fmt: str, out: Path | None) -> str | None:
    """Write rows as csv / json (one object per line) / parquet to `out`, or return csv/json text."""
    if fmt not in FORMATS[1:]:
        raise DriftError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise DriftError("--format parquet needs --out FILE")
    mem = duckdb.connect()
    try:
        mem.register("result", table)
        if out is None:
            if fmt == "csv":
                import io

                import pyarrow.csv as pcsv

                buf = io.BytesIO()
                pcsv.write_csv(_flat(mem), buf)
                return buf.getvalue().decode()
            rows = run_sql(mem, "io/result_json").fetchall()
            return "\n".join(r[0] for r in rows)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB writes the file (nested values included); a path cannot be a bound parameter in COPY.
        opts = {"csv": "format csv, header true", "json": "format json", "parquet": "format parquet"}[fmt]
        run_rendered(mem, "io/copy_result", path=quote_literal(str(out)), options=opts)
        return None
    finally:
        mem.close()


def _flat(mem) -> pa.Table:
    """Nested columns (lists, structs) as their text form, which CSV can hold."""
    cols = mem.execute("select * from result limit 0").description
    exprs = []
    for name, type_code, *_ in cols:
        q = '"' + name.replace('"', '""') + '"'
        nested = any(k in str(type_code) for k in ("[]", "STRUCT", "MAP", "LIST"))
        exprs.append(f"{q}::varchar as {q}" if nested else q)
    return run_rendered(mem, "io/flat_result", columns=", ".join(exprs) or "*").to_arrow_table()
