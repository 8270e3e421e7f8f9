"""Tables written to files by drift: a training set (`drift export-dataset`) and the rows of a `drift sql`
query (`--format csv|json|parquet --out FILE`, or csv/json text to print).

Each file is written under a temporary name beside its target and renamed, so a failed write leaves
no partial file; a training set bound for s3://bucket/key is written to a local temp file and uploaded
in one piece (drift_core/table_files.py). Query rows are written by drift, never by the query
(drift_core/readonly.py reads them on a confined connection that can write nothing).
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from drift_core.errors import DriftError
from drift_core.readonly import text_columns
from drift_core.sqlfiles import quote_literal, render, run_rendered, run_sql
from drift_core.store import Workspace
from drift_core.table_files import is_s3, upload

FORMATS = ("table", "csv", "json", "parquet")  # drift sql --format; 'table' is printed, never written
# The ones pyarrow's CSV writer takes as they are; any other column is printed as DuckDB's text form.
CSV_TYPES = {"boolean", "tinyint", "smallint", "integer", "bigint", "utinyint", "usmallint", "uinteger",
             "ubigint", "float", "double", "decimal", "varchar", "date", "time", "timestamp", "timestamp_s",
             "timestamp_ms", "timestamp_ns", "timestamp with time zone", "timestamptz_ns"}


def write_dataset(table: pa.Table, out: str | Path, fmt: str | None = None) -> str:
    """Write a training set as Parquet or JSONL (messages as a list of {role, content}, weight) to a local
    file or an s3:// URI."""
    remote = is_s3(out)
    target = str(out)
    out = Path(tempfile.mkdtemp(prefix="drift-export-")) / target.rsplit("/", 1)[-1] if remote else Path(out)
    fmt = fmt or ("jsonl" if out.suffix in (".jsonl", ".json") else "parquet")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if fmt == "parquet":
            pq.write_table(table, tmp, compression="zstd")
        elif fmt == "jsonl":
            with tmp.open("w", encoding="utf-8") as f:
                for batch in table.to_batches(50_000):
                    for row in batch.to_pylist():
                        f.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            raise DriftError(f"unknown dataset format {fmt!r}; use parquet or jsonl")
        if remote:
            upload(tmp, target)
        else:
            tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
        if remote:
            out.parent.rmdir()
    return fmt


def check_output(workspace: Workspace, fmt: str, out: Path | None) -> None:
    """Refuse a format or --out before the query runs: nothing is written inside the workspace."""
    if fmt not in FORMATS:
        raise DriftError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise DriftError("--format parquet needs --out FILE")
    if out is None:
        return
    target = Path(out).expanduser().resolve()
    if target.is_relative_to(workspace.root):
        raise DriftError(
            f"--out {out} is inside the workspace {workspace.root}, which drift sql never writes (its "
            f"warehouse and tables are the stages'); write the file elsewhere, e.g. --out ./{target.name}"
        )
    if target.is_dir():
        raise DriftError(f"--out {out} is a directory; give a file name, e.g. --out {Path(out) / 'rows.csv'}")


def write_result(table: pa.Table, fmt: str, out: Path | None) -> str | None:
    """Write rows as csv / json (one object per line) / parquet to `out`, or return csv/json text.

    A file is written next to `out` under a temporary name and renamed, so a failed write leaves none."""
    if fmt not in FORMATS[1:]:
        raise DriftError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and out is None:
        raise DriftError("--format parquet needs --out FILE")
    mem = duckdb.connect()
    tmp = None
    try:
        mem.register("result", table)
        if out is None:
            if fmt == "csv":
                import io

                import pyarrow.csv as pcsv

                buf = io.BytesIO()
                pcsv.write_csv(_csv_ready(mem), buf)
                return buf.getvalue().decode()
            rows = run_sql(mem, "io/result_json").fetchall()
            return "\n".join(r[0] for r in rows)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".drift-sql-{uuid.uuid4().hex[:8]}-{out.name}")  # same suffix: same compression
        # DuckDB writes the file (nested values included); a path cannot be a bound parameter in COPY.
        opts = {"csv": "format csv, header true", "json": "format json", "parquet": "format parquet"}[fmt]
        run_rendered(mem, "io/copy_result", path=quote_literal(str(tmp)), options=opts)
        os.replace(tmp, out)
        return None
    except (duckdb.Error, pa.ArrowException, OSError) as exc:
        raise DriftError(
            f"cannot write the result as {fmt}{f' to {out}' if out else ''}: {_first_line(exc)}. Cast the "
            "column to text in the query (column::varchar) or use another --format; nothing was written"
        ) from None
    finally:
        mem.close()
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def text_rows(table: pa.Table, limit: int) -> list[tuple]:
    """The first `limit` rows, each value as DuckDB's text form (None for NULL), for the table format."""
    mem = duckdb.connect()
    try:
        mem.register("result", table.slice(0, limit))
        rel = mem.sql(render("io/flat_result", columns="*"))
        columns = text_columns(rel, lambda t: t.id == "varchar") or "*"
        return run_rendered(mem, "io/flat_result", columns=columns).fetchall()
    except duckdb.Error as exc:
        raise DriftError(f"cannot print the result: {_first_line(exc)}; try --format json") from None
    finally:
        mem.close()


def _csv_ready(mem) -> pa.Table:
    """The result with each column pyarrow's CSV writer cannot take (lists, structs, intervals, blobs...)
    as DuckDB's text form."""
    rel = mem.sql(render("io/flat_result", columns="*"))
    columns = text_columns(rel, lambda t: t.id in CSV_TYPES) or "*"
    return mem.sql(render("io/flat_result", columns=columns)).to_arrow_table()


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
