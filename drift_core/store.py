"""The workspace: warehouse.duckdb plus Parquet shards of the big tables (DESIGN §2, §5).

Layout under the workspace root:
    warehouse.duckdb                       prompts (table), trajectories/turns (views), derived tables
    tables/<table>/_schema.parquet         zero-row file with the DDL's columns, so views always resolve
    tables/<table>/<run_id>/shard-NNNNN.parquet
Shards are written to a temp file and renamed, so a killed writer never leaves a partial shard.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa

from drift_core.errors import DriftError
from drift_core.sqlfiles import quote_literal, run_sql

SHARDED_TABLES = ("trajectories", "turns")


class Workspace:
    def __init__(self, root: str | Path = ".drift"):
        self.root = Path(root).expanduser().resolve()

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def table_dir(self, table: str) -> Path:
        return self.root / "tables" / table

    def shard_path(self, table: str, run_id: str, shard: int) -> Path:
        return self.table_dir(table) / run_id / f"shard-{shard:05d}.parquet"

    def run_dir(self, run_id: str) -> Path:
        return self.table_dir("trajectories") / run_id

    # -- connections -------------------------------------------------------------------------
    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Open the warehouse; a writable connection (re)creates the schema and the shard views."""
        if read_only:
            if not self.warehouse.exists():
                raise DriftError(f"no warehouse at {self.warehouse}; run a stage first (e.g. drift rollout)")
            return duckdb.connect(str(self.warehouse), read_only=True)
        self.root.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.warehouse))
        self.ensure_schema(con)
        return con

    def ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        run_sql(con, "tables/prompts")
        for table in SHARDED_TABLES:
            schema_file = self.table_dir(table) / "_schema.parquet"
            if not schema_file.exists():
                self._write_parquet(table, pa.table({}), schema_file)
            glob = str(self.table_dir(table) / "**" / "*.parquet")
            # union_by_name: shards written before a column was added read it as NULL.
            con.execute(
                f"create or replace view {table} as "
                f"select * from read_parquet({quote_literal(glob)}, union_by_name = true)"
            )

    # -- shards ------------------------------------------------------------------------------
    def write_shard(self, table: str, run_id: str, shard: int, rows: pa.Table) -> Path:
        path = self.shard_path(table, run_id, shard)
        self._write_parquet(table, rows, path)
        return path

    def shard_done(self, run_id: str, shard: int) -> bool:
        # trajectories are written last, so their shard marks the shard as complete.
        return self.shard_path("trajectories", run_id, shard).exists()

    def _write_parquet(self, table: str, rows: pa.Table, path: Path) -> None:
        """Cast `rows` to the DDL's types in an in-memory DuckDB and write it atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        mem = duckdb.connect()
        try:
            run_sql(mem, f"tables/{table}")
            if rows.num_columns:
                mem.register("incoming", rows)
                mem.execute(f"insert into {table} by name select * from incoming")
            mem.execute(f"copy {table} to {quote_literal(str(tmp))} (format parquet, compression zstd)")
            os.replace(tmp, path)
        finally:
            mem.close()
            tmp.unlink(missing_ok=True)

    # -- prompts -----------------------------------------------------------------------------
    def upsert_prompts(self, con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
        """Insert prompts; an existing prompt_id with another question or gold is an error (nothing written)."""
        if not rows:
            return 0
        incoming = pa.Table.from_pylist(rows)
        con.register("incoming_prompts", incoming)
        try:
            clash = con.execute(
                "select p.prompt_id from prompts p join incoming_prompts n using (prompt_id) "
                "where p.question <> n.question or p.gold <> n.gold limit 3"
            ).fetchall()
            if clash:
                ids = ", ".join(r[0] for r in clash)
                raise DriftError(f"prompt_id already in the prompts table with a different question or gold: {ids}")
            con.execute("insert or replace into prompts by name select * from incoming_prompts")
        finally:
            con.unregister("incoming_prompts")
        return len(rows)
