"""The workspace: warehouse.duckdb plus Parquet shards of the big tables (docs/design.md §2, §5).

Layout under the workspace root:
    warehouse.duckdb                       prompts (table), trajectories/turns (views), derived tables
    tables/<table>/_schema.parquet         zero-row file with the DDL's columns, so views always resolve
    tables/<table>/<run_id>/shard-NNNNN.parquet
    tables.json                            only when the tables live on S3: {"tables_uri": "s3://..."}
With a tables_uri (drift_core/tables_location.py) the `tables/` tree lies under that URI instead and the
rest stays here (docs/scale-out.md). Shards are written to a temp file, then published whole (renamed
on disk, uploaded in one PUT to S3: drift_core/table_files.py), so a killed writer never leaves a partial
shard. A shard is complete when its trajectories file exists (written after its turns file); the
`turns` view shows only complete shards, so turns and trajectories appear together or not at all
(docs/reliability.md).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import duckdb
import pyarrow as pa

from drift_core.errors import DriftError
from drift_core.sqlfiles import materialise, quote_ident, quote_literal, run_rendered, run_sql
from drift_core.table_files import LocalFiles, S3Files
from drift_core.tables_location import bind_tables_uri

SHARDED_TABLES = ("trajectories", "turns")
MARKER_TABLE = "trajectories"  # a shard is complete when its trajectories file exists
LOCK_WAIT_S = 30.0  # how long connect() waits for another process to release the warehouse
# DuckDB's message when another process holds the file: "... Conflicting lock is held in <exe> (PID n)"
_LOCK_HELD = re.compile(r"Could not set lock on file .*?Conflicting lock is held in (.*?\(PID \d+\))", re.S)


class Workspace:
    def __init__(self, root: str | Path = ".drift", tables_uri: str | None = None):
        """tables_uri: where the tables live when not under root (s3://BUCKET/PREFIX); recorded on first
        use, found again from then on without it (drift_core/tables_location.py)."""
        self.root = Path(root).expanduser().resolve()
        self.tables_uri = bind_tables_uri(self.root, tables_uri)
        self.files: LocalFiles | S3Files = (
            S3Files(self.tables_uri, staging=self.root / "staging" / "s3") if self.tables_uri
            else LocalFiles(self.root / "tables"))

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def table_dir(self, table: str) -> Path:
        """The local folder of `table`'s shards; a DriftError when the tables live on S3 (for the code
        that works on local files only, e.g. drift import-jsonl / export-jsonl)."""
        if self.files.remote:
            raise DriftError(f"the workspace {self.root} keeps its tables at {self.tables_uri}: this command "
                             "works on tables on local disk only; use a workspace without tables_uri")
        return self.root / "tables" / table

    def shard_path(self, table: str, run_id: str, shard: int) -> Path:
        return self.table_dir(table) / run_id / f"shard-{shard:05d}.parquet"

    def run_dir(self, run_id: str) -> Path:
        return self.table_dir("trajectories") / run_id

    # -- locations: local paths or s3:// URIs, whichever the tables use --------------------------
    def shard_location(self, table: str, run_id: str, shard: int) -> str:
        return self.files.location(f"{table}/{run_id}/shard-{shard:05d}.parquet")

    def run_location(self, run_id: str, name: str) -> str:
        """The file `name` of run_id beside its trajectories shards (e.g. its manifest `_run.json`)."""
        return self.files.location(f"{MARKER_TABLE}/{run_id}/{name}")

    def run_shards(self, run_id: str, table: str = MARKER_TABLE) -> list[str]:
        """The shard files of run_id in `table`, sorted (the trajectories ones: its finished shards)."""
        return self.files.glob(f"{table}/{run_id}/shard-*.parquet")

    def run_shards_glob(self, run_id: str) -> str:
        """A glob DuckDB reads run_id's trajectories shards by (on a connection `register_tables` set up)."""
        return self.files.location(f"{MARKER_TABLE}/{run_id}/shard-*.parquet")

    def register_tables(self, con: duckdb.DuckDBPyConnection) -> None:
        """Let `con` read the tables where they are (registers the S3 filesystem; nothing for local disk)."""
        self.files.register(con)

    # -- stored paths ------------------------------------------------------------------------
    def portable(self, path: str | Path) -> str:
        """How a path is stored (tables, manifests, cached results): relative to the workspace when it
        lies inside it, so a copied or moved workspace still finds its models; an existing path
        elsewhere as an absolute path; anything else (a hub id) as given."""
        text = str(path)
        local = Path(text).expanduser()
        if not local.is_absolute():
            if (self.root / text).exists():
                return local.as_posix()  # workspace-relative already (read back from a table)
            if not local.exists():
                return text  # a hub id
        local = local.resolve()
        return local.relative_to(self.root).as_posix() if local.is_relative_to(self.root) else str(local)

    def resolve(self, stored: str | Path) -> str:
        """The local path of a stored path (see `portable`): workspace-relative ones against this
        workspace; absolute paths and hub ids as they are."""
        text = str(stored)
        if Path(text).is_absolute():
            return text
        inside = self.root / text
        return str(inside) if inside.exists() else text

    # -- connections -------------------------------------------------------------------------
    def connect(self, read_only: bool = False, wait: float = LOCK_WAIT_S) -> duckdb.DuckDBPyConnection:
        """Open the warehouse; a writable connection (re)creates the schema and the shard views.

        DuckDB lets one process write a database file, and no other process open it meanwhile. Stages
        hold it for seconds, so this waits up to `wait` seconds for another process's connection to
        close, then raises DriftError naming that process (e.g. `drift sql` during `drift weights`)."""
        if read_only and not self.warehouse.exists():
            raise DriftError(f"no warehouse at {self.warehouse}; run a stage first (e.g. drift rollout)")
        self.root.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + wait
        pause = 0.05
        while True:
            try:
                con = duckdb.connect(str(self.warehouse), read_only=read_only)
                break
            except duckdb.IOException as exc:
                held = _LOCK_HELD.search(str(exc))
                if not held:
                    raise
                if time.monotonic() >= deadline:
                    raise DriftError(
                        f"the warehouse {self.warehouse} is in use by another process ({held.group(1)}), "
                        f"still after {wait:g} s: DuckDB allows one process at a time while one writes. Let "
                        "that drift command or pipeline finish (or stop it), then run this again."
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
        self.register_tables(con)  # before the views: DuckDB reads the shards when it binds one
        if read_only:
            self.point_views(con)
        else:
            self.ensure_schema(con)
        return con

    def limit_memory(self, con: duckdb.DuckDBPyConnection, memory_limit: str) -> None:
        """Cap DuckDB's memory on `con` (e.g. '1GB'); beyond it, it spills to <workspace>/tmp."""
        tmp = self.root / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        run_sql(con, "settings/resource_limits", {"memory_limit": memory_limit, "temp_directory": str(tmp)})

    def ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        run_sql(con, "tables/prompts")
        for table in SHARDED_TABLES:
            schema_file = self.files.location(f"{table}/_schema.parquet")
            if not self.files.exists(schema_file):
                self._write_parquet(table, pa.table({}), schema_file)
            self._create_view(con, table, scope="")

    def shard_glob(self, table: str) -> str:
        return self.files.location(f"{table}/**/*.parquet")

    def point_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """Point a read-only connection's shard views at this workspace's files, writing nothing.

        The stored views hold absolute globs (so `duckdb warehouse.duckdb` works from any directory);
        in a copied or moved workspace they name the old place. A temporary view of the same name,
        which DuckDB resolves before the stored one, reads the shards where they are now
        (docs/design.md §5, relocatable workspaces)."""
        stored = dict(run_sql(con, "lookups/view_sql").fetchall())
        for table in SHARDED_TABLES:
            # also a view made before turns showed only complete shards (no marker glob in it)
            if not all(quote_literal(g) in stored.get(table, "") for g in self._view_globs(table)):
                self._create_view(con, table, scope="temp ")

    def _view_globs(self, table: str) -> list[str]:
        return [self.shard_glob(table)] + ([self.shard_glob(MARKER_TABLE)] if table != MARKER_TABLE else [])

    def _create_view(self, con: duckdb.DuckDBPyConnection, table: str, scope: str) -> None:
        """The shard view of `table`: all trajectories shards; turns shards whose shard is complete."""
        if table == MARKER_TABLE:
            run_rendered(con, "io/shard_view", table=quote_ident(table), glob=quote_literal(self.shard_glob(table)),
                         scope=scope)
        else:
            run_rendered(con, "io/complete_shard_view", table=quote_ident(table),
                         glob=quote_literal(self.shard_glob(table)),
                         marker_glob=quote_literal(self.shard_glob(MARKER_TABLE)), scope=scope)

    # -- shards ------------------------------------------------------------------------------
    def write_shard(self, table: str, run_id: str, shard: int, rows: pa.Table) -> Path | str:
        """Write one shard; returns its location (a Path on local disk, an s3:// URI on S3)."""
        location = self.shard_location(table, run_id, shard)
        self._write_parquet(table, rows, location)
        return location if self.files.remote else Path(location)

    def shard_done(self, run_id: str, shard: int) -> bool:
        # trajectories are written last, so their shard marks the shard as complete (as in the views).
        return self.files.exists(self.shard_location(MARKER_TABLE, run_id, shard))

    def remove_temp_files(self, run_id: str) -> int:
        """Delete the temp files a killed writer of `run_id` left (`.shard-NNNNN.parquet.<id>.tmp`, and
        a manifest's); call it only where no other process writes that run. Returns how many."""
        gone = 0
        for table in SHARDED_TABLES:
            for tmp in self.files.temp_dir(f"{table}/{run_id}").glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
                gone += 1
        return gone

    def _write_parquet(self, table: str, rows: pa.Table, location: str | Path) -> None:
        """Cast `rows` to the DDL's types in an in-memory DuckDB and write it atomically."""
        tmp = self.files.temp_for(str(location))
        mem = duckdb.connect()
        try:
            run_sql(mem, f"tables/{table}")
            if rows.num_columns:
                materialise(mem, table, rows=rows)  # casts by name; checks the shard's keys are unique
            run_rendered(mem, "io/write_parquet", table=quote_ident(table), path=quote_literal(str(tmp)))
            self.files.publish(tmp, str(location))  # renamed on disk / one upload: never a partial shard
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
            clash = run_sql(con, "checks/prompt_clashes").fetchall()
            if clash:
                ids = ", ".join(r[0] for r in clash)
                raise DriftError(f"prompt_id already in the prompts table with a different question or gold: {ids}")
            materialise(con, "prompts", rows=incoming)  # same prompt_id: its row is replaced
        finally:
            con.unregister("incoming_prompts")
        return len(rows)
