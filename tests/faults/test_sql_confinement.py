"""`drift sql` is read-only and confined (drift_core/readonly.py): every writing or file-touching form is
refused with a message that names it and says what to do, exit 1, and afterwards every file under the
test's root (the workspace, a second workspace, the targets the statements name, the temp directory
the spill files would go to) is byte-identical and no file or directory appeared.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest

from cli.testing import drift as run_drift
from drift_core.readonly import confined_connection
from drift_core.store import Workspace
from drift_core.testing.reference_records import write_jsonl


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """<base>/ws: a workspace with 48 imported trajectories and a weighting; <base>/other: a copy of it
    (another workspace's tables); <base>/traj.jsonl: a file outside both."""
    base = tmp_path_factory.mktemp("confine")
    src = write_jsonl(base / "traj.jsonl", 48, group=8, seed=4)
    assert run_drift("import-jsonl", src, "-w", base / "ws", "--run-id", "imp") == 0
    assert run_drift("weights", "-w", base / "ws") == 0
    shutil.copytree(base / "ws", base / "other")
    (base / "systmp").mkdir()
    return base


@pytest.fixture()
def sql(base, capsys, monkeypatch):
    """`drift sql ARGS -w <base>/ws` in-process: (rc, stdout, stderr). Spill directories are made under
    <base>/systmp, so the digest sees one left behind."""
    monkeypatch.setattr(tempfile, "tempdir", str(base / "systmp"))
    capsys.readouterr()

    def run(*args, ws=None):
        rc = run_drift("sql", *args, "-w", ws or base / "ws")
        out = capsys.readouterr()
        return rc, out.out, out.err
    return run


def digest(root: Path) -> dict[str, str]:
    """Every file (by content) and directory under root, and ~/.duckdb (where INSTALL would write)."""
    seen = {}
    for top in (root, Path.home() / ".duckdb"):
        for p in sorted(top.rglob("*")):
            seen[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return seen


WS, OTHER, BASE = "{ws}", "{other}", "{base}"
EVIL_SHARD = "{ws}/tables/trajectories/evil/shard-00000.parquet"
EVIL_ROW = "select 'evil' run_id, 'pX' prompt_id, 0 sample_idx"
READ_ONLY = "drift sql is read-only: refusing"
NO_FILE = "reads only this workspace's tables and views"

# (statement, what stderr says). {ws} / {other} / {base} are filled with the paths.
REFUSED = {
    "copy_to": (f"copy trajectories to '{BASE}/t.csv'", f"{READ_ONLY} a COPY statement"),
    "copy_to_shard": (f"copy ({EVIL_ROW}) to '{EVIL_SHARD}' (format parquet)", f"{READ_ONLY} a COPY statement"),
    "copy_query_to_stdout": ("copy (select 1) to '/dev/stdout'", f"{READ_ONLY} a COPY statement"),
    "explain_analyze_copy": (f"explain analyze copy ({EVIL_ROW}) to '{EVIL_SHARD}' (format parquet)",
                             f"{READ_ONLY} EXPLAIN of a COPY statement"),
    "explain_options_copy": (f"explain /* c */ (analyze, format json) copy ({EVIL_ROW}) to '{EVIL_SHARD}'",
                             f"{READ_ONLY} EXPLAIN of a COPY statement"),
    "explain_plain_copy": (f"explain copy ({EVIL_ROW}) to '{BASE}/x.csv'", "EXPLAIN of a COPY statement"),
    "explain_analyze_create": ("explain analyze create temp table t as select 1", "EXPLAIN of a CREATE"),
    "copy_from": (f"copy prompts from '{BASE}/traj.jsonl'", f"{READ_ONLY} a COPY statement"),
    "attach_file": (f"attach '{BASE}/new.duckdb' as n", f"{READ_ONLY} an ATTACH statement"),
    "attach_other_warehouse": (f"attach '{OTHER}/warehouse.duckdb' as o (read_only)", "an ATTACH statement"),
    "attach_memory": ("attach ':memory:' as m", "query another one with -w DIR"),
    "install": ("install httpfs", f"{READ_ONLY} an INSTALL statement"),
    "force_install": ("force install httpfs", "an INSTALL statement"),
    "load": ("load httpfs", f"{READ_ONLY} a LOAD statement"),
    "set_external_access": ("set enable_external_access = true", f"{READ_ONLY} a SET statement"),
    "set_threads": ("set threads = 1", "Settings cannot be changed in drift sql"),
    "reset": ("reset lock_configuration", "a SET statement"),
    "set_variable": ("set variable x = 1", "a SET statement"),
    "pragma": ("pragma enable_profiling", f"{READ_ONLY} a PRAGMA statement"),
    "pragma_version": ("pragma version", "a PRAGMA statement"),
    "import_database": (f"import database '{BASE}/dump'", "a PRAGMA statement"),
    "create_macro": ("create macro m(x) as x + 1", f"{READ_ONLY} a CREATE statement"),
    "create_temp_macro": ("create temp macro m(x) as x + 1", "a CREATE statement"),
    "create_temp_table": ("create temp table t as select * from trajectories",
                          "Put intermediate results in a WITH clause"),
    "create_temp_view": ("create temp view v as select 1", "a CREATE statement"),
    "create_secret": ("create persistent secret s (type s3, key_id 'k', secret 's')", "a CREATE statement"),
    "export_database": (f"export database '{BASE}/dump'", f"{READ_ONLY} an EXPORT statement"),
    "export_into_tables": (f"export database '{WS}/tables/dump' (format parquet)", "an EXPORT statement"),
    "call_checkpoint": ("call checkpoint()", "a CALL statement"),
    "checkpoint": ("checkpoint", "a CALL statement"),
    "detach": ("detach warehouse", "a DETACH statement"),
    "use": ("use memory", "a SET statement"),
    "update_extensions": ("update extensions", "an UPDATE EXTENSIONS statement"),
    "insert": ("insert into prompts select * from prompts", "an INSERT statement"),
    "with_delete": ("with x as (select 1) delete from weightings", "a DELETE statement"),
    "vacuum": ("vacuum", "a VACUUM statement"),
    "second_statement": (f"select 1; copy (select 1) to '{BASE}/s.csv'", "a COPY statement"),
    # reads outside the workspace's tables: DuckDB opens no file at all
    "read_csv_passwd": ("select * from read_csv('/etc/passwd')", NO_FILE),
    "read_text_passwd": ("select * from read_text('/etc/passwd')", NO_FILE),
    "read_blob": ("select * from read_blob('/etc/hostname')", NO_FILE),
    "glob": ("select * from glob('/etc/*')", NO_FILE),
    "glob_workspace": (f"select * from glob('{WS}/**')", NO_FILE),
    "read_json_outside": (f"select * from read_json_auto('{BASE}/traj.jsonl')", NO_FILE),
    "replacement_scan": (f"select * from '{BASE}/traj.jsonl'", NO_FILE),
    "other_workspace_parquet": (f"select * from read_parquet('{OTHER}/tables/trajectories/**/*.parquet')", NO_FILE),
    "other_workspace_by_path": (f"from '{OTHER}/tables/turns/imp/shard-00000.parquet'", NO_FILE),
    "own_shard_by_path": (f"select * from read_parquet('{WS}/tables/../../other/tables/turns/**/*.parquet')",
                          NO_FILE),
    "query_function": ("select * from query('select * from read_text(''/etc/passwd'')')", NO_FILE),
    "https": ("select * from 'https://example.com/x.csv'", NO_FILE),
    "stored_view_past_the_shadow": ("select count(*) from warehouse.main.trajectories", NO_FILE),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_and_nothing_changes(base, sql, case):
    stmt, says = REFUSED[case]
    stmt = stmt.format(ws=base / "ws", other=base / "other", base=base)
    before = digest(base)
    rc, out, err = sql(stmt)
    assert rc == 1, (out, err)
    assert says in err and "Traceback" not in err, err
    assert "nothing ran and the warehouse is unchanged" in err or NO_FILE in err
    assert digest(base) == before  # no byte changed, no file or directory appeared (spill dir removed)


@pytest.mark.parametrize("stmt", [
    f"copy ({EVIL_ROW}) to '{EVIL_SHARD}' (format parquet)",
    f"explain analyze copy ({EVIL_ROW}) to '{EVIL_SHARD}' (format parquet)",
    f"copy (select 1) to '{WS}/warehouse.duckdb.wal'",
    f"export database '{WS}/tables/dump'",
    f"attach '{BASE}/new.duckdb' as n",
    "install httpfs",
    "set enable_external_access = true",
    f"create temp table t as select * from read_text('{BASE}/traj.jsonl')",
])
def test_the_connection_alone_writes_nothing(base, monkeypatch, stmt):
    """Guard 3 on its own: the statement check skipped, DuckDB itself refuses the write or the read."""
    monkeypatch.setattr(tempfile, "tempdir", str(base / "systmp"))
    stmt = stmt.format(ws=base / "ws", other=base / "other", base=base)
    before = digest(base)
    with confined_connection(Workspace(base / "ws")) as con, pytest.raises(duckdb.Error):
        con.execute(stmt).fetchall()
    assert digest(base) == before


def test_confinement_is_locked(base, sql):
    """What the connection runs under: no file access, locked, spill files outside the workspace."""
    rc, out, err = sql("--format", "json", "select name, value from duckdb_settings() where name in "
                       "('enable_external_access', 'lock_configuration', 'autoinstall_known_extensions', "
                       "'autoload_known_extensions', 'allowed_directories', 'temp_directory', 'access_mode')")
    assert rc == 0, err
    got = {r["name"]: r["value"] for r in map(json.loads, out.splitlines())}
    assert got["enable_external_access"] == "false" and got["lock_configuration"] == "true"
    assert got["autoinstall_known_extensions"] == got["autoload_known_extensions"] == "false"
    assert got["access_mode"] == "read_only"
    assert str(base / "ws") not in got["temp_directory"] and str(base / "ws") not in got["allowed_directories"]


README_QUERIES = [
    "select policy, count(*), avg((t_star is not null)::int) as solved from trajectories group by all",
    "select scheme, beta, avg(group_ess / group_size) as ess_frac from weights group by all",
    "select * from weight_diagnostics",
    "select count(*) as n from turns join trajectories using (run_id, prompt_id, sample_idx)",
    "with t as (select * from trajectories) select count(*) from t",
    "from trajectories limit 2",
    "describe trajectories", "show tables", "summarize turns",
    "explain select * from weights", "explain analyze select count(*) from turns",
    "select 1; select 2 as two",
]


@pytest.mark.parametrize("query", README_QUERIES)
def test_queries_still_work(base, sql, query):
    before = digest(base)
    rc, out, err = sql(query)
    assert rc == 0 and "rows" in out, err
    assert digest(base) == before


def test_shards_read_where_the_workspace_is_now(base, sql):
    """A moved workspace (the original deleted) reads its own shards through the confined views, with
    the union of the shards' columns (a shard written before a column was added reads it as NULL)."""
    moved = base / "moved" / "ws"
    shutil.copytree(base / "ws", moved)
    try:
        rc, out, err = sql("--format", "json", "select count(*) as n, count(distinct run_id) as runs from trajectories",
                           ws=moved)
        assert rc == 0 and json.loads(out) == {"n": 48, "runs": 1}, err
        # the stored view names <base>/ws: reading it is refused, not silently the original's files
        rc, _, err = sql("select count(*) from warehouse.main.trajectories", ws=moved)
        assert rc == 1 and NO_FILE in err
        plain = Workspace(base / "ws").connect(read_only=True)  # DuckDB's read_parquet(union_by_name)
        try:
            stored = {t: plain.sql(f"describe {t}").fetchall() for t in ("trajectories", "turns")}
        finally:
            plain.close()
        with confined_connection(Workspace(moved)) as con:
            shadow = {t: con.sql(f"describe {t}").fetchall() for t in ("trajectories", "turns")}
        assert shadow == stored  # same columns, same types, same order
    finally:
        shutil.rmtree(base / "moved")


ODD = {
    "interval": "select interval 3 day as i, interval '1 month 2 hours' as j",
    "settings": "select * from duckdb_settings()",
    "variant": "select 'x'::variant as v, [1, 2]::variant as l, 1::hugeint as h, '101'::bit as b",
    "all_types": "select * exclude (empty_struct) from test_all_types()",
}


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
@pytest.mark.parametrize("kind", sorted(ODD))
def test_odd_types_print(sql, fmt, kind):
    rc, out, err = sql("--format", fmt, ODD[kind])
    assert rc == 0 and "Traceback" not in err, err
    assert out.strip()


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet", "table"])
@pytest.mark.parametrize("kind", sorted(ODD))
def test_odd_types_to_a_file(base, sql, tmp_path, fmt, kind):
    out = tmp_path / f"rows.{fmt}"
    rc, text, err = sql("--format", fmt, "--out", out, ODD[kind])
    assert rc == 0 and f"to {out}" in text, err
    assert sorted(tmp_path.iterdir()) == [out]  # the file the user named, no temporary left
    if fmt == "parquet":  # DuckDB's reader: pyarrow cannot read every nested type test_all_types() has
        assert duckdb.sql(f"select count(*) from read_parquet('{out}')").fetchall()[0][0] >= 1


def test_unwritable_result_is_an_error_and_writes_nothing(sql, tmp_path):
    """Parquet cannot hold an empty STRUCT: a clear error, exit 1, no file."""
    rc, _, err = sql("--format", "parquet", "--out", tmp_path / "r.parquet", "select {} as e")
    assert rc == 1 and "cannot write the result as parquet" in err and "::varchar" in err, err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["ws/rows.csv", "ws/tables/trajectories/evil/shard-00000.parquet",
                                   "ws/warehouse.duckdb", "ws"])
def test_out_inside_the_workspace_is_refused(base, sql, where):
    before = digest(base)
    rc, _, err = sql("--format", "parquet", "--out", base / where, "select * from trajectories")
    assert rc == 1 and "inside the workspace" in err and "Traceback" not in err, err
    assert digest(base) == before


def test_bad_format_is_refused_before_the_query(sql):
    rc, _, err = sql("--format", "xml", "select * from no_such_table")
    assert rc == 1 and "unknown format 'xml'" in err
    rc, _, err = sql("--format", "parquet", "select 1")
    assert rc == 1 and "needs --out FILE" in err
