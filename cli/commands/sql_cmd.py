"""`drift sql`: read-only, confined queries over the workspace's warehouse, as a table or a file
(drift_core/readonly.py: nothing it runs writes a file or reads one outside the workspace's tables)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.readonly import run_readonly
from drift_core.store import Workspace
from drift_core.writers import check_output, text_rows, write_result


@app.command("sql")
def sql_cmd(
    query: str = typer.Argument(..., help='A read-only query, e.g. "select * from weights limit 5".'),
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    fmt: str = typer.Option("table", "--format", "-f", help="table | csv | json | parquet"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the rows to this file."),
    max_rows: int = typer.Option(50, help="Rows to print in table format (the file gets all)."),
) -> None:
    """Run a read-only SQL query on warehouse.duckdb (writes and file access are refused; nothing changes)."""
    cfg = resolve_config(config, set_, workspace)
    ws = Workspace(cfg.workspace, cfg.tables_uri)
    check_output(ws, fmt, out)
    table = run_readonly(ws, query)
    if fmt == "table" and out is None:
        print_table(table, max_rows)
        return
    text = write_result(table, "csv" if fmt == "table" else fmt, out)
    if text is not None:
        typer.echo(text)
    else:
        typer.echo(f"wrote {table.num_rows} rows to {out}")


def print_table(table, max_rows: int) -> None:
    t = Table(show_lines=False)
    for name in table.column_names:
        t.add_column(name, overflow="fold")
    for row in text_rows(table, max_rows):
        t.add_row(*[Text("NULL" if v is None else v) for v in row])  # Text: "[a, b]" is no markup
    con = Console()
    con.print(t)
    more = table.num_rows - max_rows
    con.print(f"{table.num_rows} rows" + (f" ({more} not shown; --max-rows or --out)" if more > 0 else ""))
