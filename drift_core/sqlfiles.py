"""The one loader for SQL files in sql/: run a file by name with bound parameters."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


@cache
def load_sql(name: str) -> str:
    """Text of sql/<name>.sql ('tables/turns' -> sql/tables/turns.sql)."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text()


def run_sql(con, name: str, params: dict[str, Any] | None = None):
    """Execute sql/<name>.sql on `con` with named parameters ($gamma, $beta, ...), never string-formatted.

    A file of several statements (e.g. `delete ...; insert ...`) runs them in order, each bound to the
    parameters it names (DuckDB binds parameters only for single statements); returns the last result.
    """
    params = params or {}
    text = load_sql(name)
    statements = con.extract_statements(text)
    if len(statements) <= 1:
        return con.execute(text, params)
    result = None
    for st in statements:
        result = con.execute(st, {k: params[k] for k in st.named_parameters if k in params})
    return result


def quote_literal(text: str) -> str:
    """A SQL string literal. Only for file paths in view DDL, which DuckDB cannot take as parameters."""
    return "'" + text.replace("'", "''") + "'"


def sql_relation(con, name: str, params: dict[str, Any] | None = None):
    """sql/<name>.sql (one query) as a DuckDB relation with bound parameters: `.to_arrow_table()`,
    `.to_arrow_reader()` or `.pl()` without the extra copy a DB-API result makes."""
    return con.sql(load_sql(name), params=params or {})
