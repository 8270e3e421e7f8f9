"""The one runner for the SQL files in sql/ (docs/design.md §4.4): run a file by name with bound parameters, and
materialise a derived table from its model, one SELECT.

A table's DDL file sql/tables/<table>.sql declares, once, in header comments:
    -- key: run_id, prompt_id, sample_idx, gamma     unique and not NULL (checked after every write)
    -- unique: run_id, prompt_id                     another unique column set (optional, repeatable)
    -- depends: trajectories, prompt_groups          the tables its model reads
    -- scope: run_id in $run_ids, gamma = $gamma     the rows one write replaces (see `scope_sql`)
The scope is `col in $list`, `col = $value` or `col from parent` (the rows whose col is in the
parent's scoped rows) terms, all of which must hold; or `key` (replace the rows whose key the new rows
have) or `append` (replace nothing: the model yields new rows only). From `depends` come the build
order (`build_order`) and the tables a write makes stale (`downstream`), which `materialise` deletes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from drift_core.errors import DriftError
from drift_core.faults import fault_point
from drift_core.resources import sql_dir

# The one place the sql/ folder is determined (an installed package may point it elsewhere).
SQL_DIR = sql_dir()  # the shipped sql/ folder: the checkout's or an install's (drift_core/resources.py)
SAMPLE_ROWS = 5  # offending rows a failed check names


@cache
def load_sql(name: str) -> str:
    """Text of sql/<name>.sql ('tables/turns' -> sql/tables/turns.sql)."""
    path = Path(SQL_DIR) / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file {path}")
    return path.read_text()


def run_sql(con, name: str, params: dict[str, Any] | None = None):
    """Execute sql/<name>.sql on `con` with named parameters ($gamma, $beta, ...), never string-formatted.

    A file of several statements (DDL, settings) runs them in order, each bound to the parameters it
    names (DuckDB binds parameters only for single statements); returns the last result.
    """
    return _execute(con, load_sql(name), params)


def sql_relation(con, name: str, params: dict[str, Any] | None = None):
    """sql/<name>.sql (one query) as a DuckDB relation with bound parameters: `.to_arrow_table()`,
    `.to_arrow_reader()` or `.pl()` without the extra copy a DB-API result makes."""
    return con.sql(load_sql(name), params=params or {})


def quote_literal(text: str) -> str:
    """A SQL string literal. Only for file paths in DDL / COPY, which DuckDB cannot take as parameters."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def render(name: str, **parts: str) -> str:
    """sql/<name>.sql with its {placeholders} filled by `parts`: identifiers and quoted literals that
    DuckDB cannot bind (table names, file paths); never values, which stay $parameters."""
    return load_sql(name).format(**parts)


def run_rendered(con, name: str, params: dict[str, Any] | None = None, **parts: str):
    """Execute a rendered template (see `render`) with bound parameters."""
    return _execute(con, render(name, **parts), params)


def _execute(con, text: str, params: dict[str, Any] | None):
    params = params or {}
    statements = con.extract_statements(text)
    result = None
    for st in statements:
        # DuckDB refuses parameters a statement does not name, so each gets its own
        result = con.execute(st, {k: params[k] for k in st.named_parameters if k in params})
    return result


# -- declared tables ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    column: str
    op: str  # 'in' ($param is a list), '=' ($param is a value), 'from' (parent table's scoped rows)
    arg: str  # the parameter name, or the parent table


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...]  # key first, then any declared `unique:` sets
    depends: tuple[str, ...]
    scope: tuple[Term, ...] | str  # terms, or 'key' / 'append'; '' for tables nothing materialises
    view: bool


_HEADER = re.compile(r"^--\s*(key|unique|depends|scope):(.*)$", re.M)
_TERM = re.compile(r"^(\w+)\s+(?:(in|=)\s+\$(\w+)|(from)\s+(\w+))$")


def _columns(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(",") if c.strip())


def _parse(name: str, text: str) -> Table:
    decl: dict[str, list[str]] = {}
    for field, value in _HEADER.findall(text):
        decl.setdefault(field, []).append(value.strip())
    key = _columns(decl.get("key", [""])[0])
    scope_text = decl.get("scope", [""])[0]
    scope: tuple[Term, ...] | str = scope_text if scope_text in ("key", "append", "") else ()
    if scope == ():
        terms = []
        for part in _columns(scope_text):
            m = _TERM.match(part)
            if not m:
                raise ValueError(f"sql/tables/{name}.sql: cannot read scope term {part!r}")
            terms.append(Term(m[1], m[2], m[3]) if m[2] else Term(m[1], "from", m[5]))
        scope = tuple(terms)
    return Table(
        name=name,
        key=key,
        unique=tuple(u for u in (key, *(_columns(u) for u in decl.get("unique", []))) if u),
        depends=tuple(d for line in decl.get("depends", []) for d in _columns(line)),
        scope=scope,
        view=bool(re.search(r"^\s*create\s+(or\s+replace\s+)?view\b", text, re.M | re.I)),
    )


@cache
def tables() -> dict[str, Table]:
    """Every table with a DDL file in sql/tables/, by name."""
    files = sorted((Path(SQL_DIR) / "tables").glob("*.sql"))
    return {p.stem: _parse(p.stem, load_sql(f"tables/{p.stem}")) for p in files}


def table(name: str) -> Table:
    try:
        return tables()[name]
    except KeyError:
        raise ValueError(f"no table {name!r}: no file sql/tables/{name}.sql") from None


@cache
def build_order() -> tuple[str, ...]:
    """All declared tables, every one after the tables it depends on (ties by name)."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise ValueError(f"sql/tables: dependency cycle {' -> '.join((*path, name))}")
        state[name] = "visiting"
        for dep in table(name).depends:
            visit(dep, (*path, name))
        state[name] = "done"
        order.append(name)

    for name in tables():
        visit(name, ())
    return tuple(order)


@cache
def downstream(name: str) -> tuple[str, ...]:
    """The tables built from `name`, directly or not, in build order (so stale when it changes)."""
    stale = {name}
    for t in build_order():  # a table comes after its dependencies, so one pass finds them all
        if any(d in stale for d in table(t).depends):
            stale.add(t)
    return tuple(t for t in build_order() if t in stale and t != name)


def in_build_order(names) -> tuple[str, ...]:
    """`names` sorted so that every table comes after the tables it depends on."""
    unknown = set(names) - set(tables())
    if unknown:
        raise ValueError(f"no sql/tables/ file for {', '.join(sorted(unknown))}")
    return tuple(t for t in build_order() if t in set(names))


def ensure_tables(con, names) -> None:
    """Create the given tables (and views) if missing, in build order."""
    for name in in_build_order(names):
        run_sql(con, f"tables/{name}")


# -- materialise ---------------------------------------------------------------------------------------
_open_transactions: set[int] = set()  # connections inside `transaction` (DuckDB cannot nest them)


@contextmanager
def transaction(con) -> Iterator[None]:
    """All or nothing: commits at the end, rolls back on any error. Inside another `transaction` on the
    same connection it joins that one (the outer one commits or rolls back)."""
    if id(con) in _open_transactions:
        yield
        return
    con.begin()
    _open_transactions.add(id(con))
    try:
        yield
        fault_point("sql.before_commit")  # docs/reliability.md: a kill here must leave nothing of it
        con.commit()
    except BaseException:
        # DuckDB may have ended it already (a commit that failed, e.g. on a full disk): raise that error
        with contextlib.suppress(duckdb.TransactionException):
            con.rollback()
        raise
    finally:
        _open_transactions.discard(id(con))


def scope_sql(name: str, params: dict[str, Any], *, partial: bool = False) -> str:
    """The WHERE condition of `name`'s scope with `params`. partial (invalidating a downstream table):
    terms whose parameter is absent are left out (any value is stale); at least one must remain."""
    t = table(name)
    if not isinstance(t.scope, tuple):
        raise ValueError(f"table {name} has no partition scope (scope: {t.scope or 'none'})")
    terms = []
    for term in t.scope:
        col = quote_ident(term.column)
        if term.op == "from":
            parent = scope_sql(term.arg, params, partial=partial)
            terms.append(f"{col} in (select {col} from {quote_ident(term.arg)} where {parent})")
        elif term.arg not in params:
            if not partial:
                raise ValueError(f"materialising {name} needs the parameter ${term.arg}")
        elif term.op == "in":
            terms.append(f"list_contains(${term.arg}, {col})")
        else:
            terms.append(f"{col} = ${term.arg}")
    if not terms:
        raise ValueError(f"invalidating {name}: none of its scope parameters given ({sorted(params)})")
    return " and ".join(terms)


def materialise(con, name: str, params: dict[str, Any] | None = None, rows=None, *,
                parts: dict[str, str] | None = None) -> int:
    """Write table `name` from its model sql/<name>.sql (one SELECT), or from `rows` (Arrow) when given:
    delete the tables downstream of it within the same scope (they are stale now), replace its scoped
    rows with the new ones (by name), then check its keys. All in one transaction (the caller's when it
    has one, see `transaction`): a failed check raises DriftError and nothing is written.
    parts: SQL text for the model's {placeholders} (see `render`; sql/weight_rows.sql takes its
    scheme's weight expression so). Returns the number of rows written."""
    params = params or {}
    t = table(name)
    if t.view or not t.scope:
        raise ValueError(f"{name} is not a materialised table (no scope declared in sql/tables/{name}.sql)")
    query = _model_query(name, parts) if rows is None else "select * from incoming"
    if t.scope == "key":
        cols = ", ".join(map(quote_ident, t.key))
        replaced = f"({cols}) in (select {cols} from ({query}))"
    else:
        replaced = scope_sql(name, params) if t.scope != "append" else None  # raises on a missing $param
    if rows is not None:
        con.register("incoming", rows)
    try:
        with transaction(con):
            if replaced is not None:  # an appended table's old rows never change, so nothing is stale
                _invalidate_downstream(con, name, params)
                _execute(con, f"delete from {quote_ident(name)} where {replaced}", params)
            try:
                written = _execute(con, f"insert into {quote_ident(name)} by name\n{query}", params).fetchone()[0]
            except duckdb.ConstraintException as exc:
                raise DriftError(f"{name}: {str(exc).strip().splitlines()[0]} (nothing written)") from None
            check_keys(con, name, params)
    finally:
        if rows is not None:
            con.unregister("incoming")
    return int(written)


def _invalidate_downstream(con, name: str, params: dict[str, Any]) -> None:
    """Delete the rows of the tables built from `name` within the scope of `params` (they were computed
    from the rows being replaced). Children first, as their 'from' scopes read their parents' rows."""
    stale = [t for t in reversed(downstream(name)) if not table(t).view]
    if not stale:
        return
    present = {r[0] for r in con.execute(  # a table not created yet has nothing stale
        "select table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name = current_schema() and list_contains($names, table_name)", {"names": stale}).fetchall()}
    for t in stale:
        if t in present:
            _execute(con, f"delete from {quote_ident(t)} where {scope_sql(t, params, partial=True)}", params)


def _model_query(name: str, parts: dict[str, str] | None = None) -> str:
    return (render(name, **parts) if parts else load_sql(name)).strip().rstrip(";")


def check_keys(con, name: str, params: dict[str, Any]) -> None:
    """The declared key columns are not NULL and each unique column set is unique, over the rows just
    written (the scope, when it holds each key's columns, so that a duplicate must lie inside it) or the
    whole table. Raises DriftError naming the table, the columns and a few offending rows."""
    t = table(name)
    scope_cols = {term.column for term in t.scope} if isinstance(t.scope, tuple) else None
    for cols in t.unique:
        where = scope_sql(name, params) if scope_cols and scope_cols <= set(cols) else "true"
        parts = {"table": quote_ident(name), "columns": ", ".join(map(quote_ident, cols)), "where": where,
                 "any_null": " or ".join(f"{quote_ident(c)} is null" for c in cols)}
        for check, what in (("checks/not_null", "has NULL in"), ("checks/unique_key", "is not unique:")):
            bad = run_rendered(con, check, params, **parts).fetchall()
            if bad:
                shown = "; ".join(str(r) for r in bad[:SAMPLE_ROWS])
                raise DriftError(f"{name}: key ({', '.join(cols)}) {what} {shown} (nothing written)")


def temp_table(con, name: str, params: dict[str, Any] | None = None) -> None:
    """Create (or replace) the temp table `name` from the SELECT sql/<name>.sql: scratch state such as
    auto_beta_groups, read many times within one computation."""
    _execute(con, f"create or replace temp table {quote_ident(name)} as\n{_model_query(name)}", params)
