"""drift_core/sqlfiles.py, the runner: build order and invalidation from the declared dependencies,
replace-by-scope idempotence, and key checks that refuse a write and leave the tables unchanged."""

from __future__ import annotations

import shutil

import duckdb
import pyarrow as pa
import pytest

from drift_core import sqlfiles
from drift_core.errors import DriftError
from drift_core.sqlfiles import build_order, downstream, materialise, table
from tests.sql.weights_fixtures import insert, memory_db, returns, traj, weights


def test_build_order_puts_every_table_after_its_dependencies():
    order = build_order()
    for name in order:
        for dep in table(name).depends:
            assert order.index(dep) < order.index(name), (dep, name)
    # returns feeds the weighting tables and the weights view; prompt_groups is only appended to
    assert set(downstream("returns")) == {
        "returns_state", "weightings", "weight_rows", "weight_groups", "weight_diagnostics", "weights"}
    assert table("prompt_groups").scope == "append"


def test_a_weighting_writes_every_table_built_from_weightings():
    from drift_core.weights import WEIGHTING_TABLES

    built = tuple(t for t in downstream("weightings") if not table(t).view)
    assert ("weightings", *built) == WEIGHTING_TABLES


def _counts(con) -> dict:
    """{(table, gamma): rows} of what a weighting writes; weight_rows / weight_groups via weightings."""
    rows = con.execute("""
        select 'weightings', gamma, count(*) from weightings group by gamma
        union all select 'weight_rows', w.gamma, count(*) from weight_rows join weightings w using (weighting_id)
            group by w.gamma
        union all select 'weight_groups', w.gamma, count(*) from weight_groups join weightings w using (weighting_id)
            group by w.gamma
        union all select 'weight_diagnostics', gamma, count(*) from weight_diagnostics group by gamma
    """).fetchall()
    return {(t, g): n for t, g, n in rows}


def two_gammas_db():
    con = memory_db()
    # one run, 2 prompts x 2 trajectories
    insert(con, [traj("p", 0, [1.0]), traj("p", 1, [0.0]), traj("q", 0, [0.0]), traj("q", 1, [0.0])])
    for gamma in (0.9, 0.5):
        returns(con, gamma=gamma)
        weights(con, "drift", beta=0.5, gamma=gamma)
    return con


def test_recomputing_returns_invalidates_the_weightings_of_that_gamma_only():
    con = two_gammas_db()
    # per gamma: 1 weighting, 4 weight rows, 2 groups, 1 diagnostics row
    full = {"weightings": 1, "weight_rows": 4, "weight_groups": 2, "weight_diagnostics": 1}
    assert _counts(con) == {(t, g): n for t, n in full.items() for g in (0.9, 0.5)}
    materialise(con, "returns", {"run_ids": ["r1"], "gamma": 0.9, "repeat_penalty_lambda": 0.5})
    # gamma 0.9's weighting was computed from the replaced returns: gone; gamma 0.5's stays
    assert _counts(con) == {(t, 0.5): n for t, n in full.items()}
    assert con.execute("select gamma, count(*) from returns group by 1 order by 1").fetchall() == [(0.5, 4), (0.9, 4)]


def test_materialising_twice_gives_the_same_rows():
    con = two_gammas_db()
    before = con.execute("select * from weights order by all").fetchall()
    for _ in range(2):
        returns(con, gamma=0.9)
        weights(con, "drift", beta=0.5, gamma=0.9)
    assert con.execute("select * from weights order by all").fetchall() == before
    assert con.execute("select count(*) from weightings").fetchone()[0] == 2  # one per gamma, no duplicate


def test_a_repeated_key_is_refused_and_nothing_is_written():
    con = two_gammas_db()
    before = con.execute("select * from returns order by all").fetchall()
    insert(con, [traj("p", 0, [0.0])])  # a second trajectory with key (r1, p, 0)
    with pytest.raises(DriftError, match=r"returns: key \(run_id, prompt_id, sample_idx, gamma, "
                                         r"repeat_penalty_lambda\) is not unique"):
        materialise(con, "returns", {"run_ids": ["r1"], "gamma": 0.9, "repeat_penalty_lambda": 0.5})
    # the transaction rolled back: old returns and the weightings computed from them are still there
    assert con.execute("select * from returns order by all").fetchall() == before
    assert con.execute("select count(*) from weight_rows").fetchone()[0] == 8


def test_a_null_in_a_declared_not_null_column_is_a_drift_error():
    con = duckdb.connect()
    sqlfiles.ensure_tables(con, ["eval_trajectories"])
    row = {"eval_id": "e", "model": "m", "dataset": "d", "prompt_id": None, "question": "q", "gold": "g",
           "messages": [], "num_turns": 1, "max_turns": 1, "t_star": None, "format_penalty": 0.0,
           "answer_norms": [], "temperature": 0.0}
    with pytest.raises(DriftError, match="eval_trajectories: .*NOT NULL.*prompt_id"):
        materialise(con, "eval_trajectories", {"eval_id": "e"}, rows=pa.Table.from_pylist([row]))
    assert con.execute("select count(*) from eval_trajectories").fetchone()[0] == 0


# -- the runner on a toy sql/ folder, whose tables have no DB constraints (only the runner's checks) --
TOY = {
    "tables/src.sql": "-- key: id\n-- scope: append\n"
                      "create table if not exists src (id integer, grp varchar, x double);",
    "tables/agg.sql": "-- key: grp, k\n-- depends: src\n-- scope: k = $k\n"
                      "create table if not exists agg (grp varchar, k integer, total double);",
    "tables/top.sql": "-- key: k, label\n-- depends: agg\n-- scope: k = $k, label = $label\n"
                      "create table if not exists top (k integer, label varchar, best double);",
    # agg: total = k * sum(x) per group; top: the largest total at k
    "agg.sql": "with src_in as (select grp, x from src),\n"
               "final as (select grp, $k::integer as k, $k * sum(x) as total from src_in group by grp)\n"
               "select * from final;",
    "top.sql": "with agg_in as (select total from agg where k = $k),\n"
               "final as (select $k::integer as k, $label::varchar as label, max(total) as best from agg_in)\n"
               "select * from final;",
}


@pytest.fixture
def toy(tmp_path, monkeypatch):
    for name, text in TOY.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    shutil.copytree(sqlfiles.SQL_DIR / "checks", tmp_path / "checks")
    caches = (sqlfiles.load_sql, sqlfiles.tables, sqlfiles.build_order, sqlfiles.downstream)
    for c in caches:
        c.cache_clear()
    monkeypatch.setattr(sqlfiles, "SQL_DIR", tmp_path)
    con = duckdb.connect()
    sqlfiles.ensure_tables(con, ["src", "agg", "top"])
    src = pa.table({"id": [1, 2, 3], "grp": ["a", "a", "b"], "x": [1.0, 2.0, 5.0]})
    materialise(con, "src", rows=src)
    yield con
    con.close()
    monkeypatch.undo()
    for c in caches:
        c.cache_clear()


def test_toy_order_scope_and_invalidation(toy):
    con = toy
    assert build_order() == ("src", "agg", "top")
    for k in (1, 2):
        materialise(con, "agg", {"k": k})
        materialise(con, "top", {"k": k, "label": "x"})
    # agg at k = 2: a -> 2 * (1 + 2) = 6, b -> 2 * 5 = 10; top at k = 2: max = 10
    assert con.execute("select * from agg where k = 2 order by grp").fetchall() == [("a", 2, 6.0), ("b", 2, 10.0)]
    assert con.execute("select * from top order by k").fetchall() == [(1, "x", 5.0), (2, "x", 10.0)]
    # rewriting agg at k = 1 deletes top at k = 1 (any label: $label is not a parameter of agg)
    assert materialise(con, "agg", {"k": 1}) == 2
    assert con.execute("select k from top").fetchall() == [(2,)]
    assert con.execute("select count(*) from agg").fetchone()[0] == 4  # replaced, not added


def test_toy_checks_refuse_a_repeated_or_null_key(toy):
    con = toy
    materialise(con, "agg", {"k": 1})
    before = con.execute("select * from src order by all").fetchall()
    with pytest.raises(DriftError, match=r"src: key \(id\) is not unique: \(1, 2\)"):  # id 1, 2 copies
        materialise(con, "src", rows=pa.table({"id": [1], "grp": ["c"], "x": [0.0]}))
    with pytest.raises(DriftError, match=r"src: key \(id\) has NULL"):
        materialise(con, "src", rows=pa.table({"id": pa.array([None], pa.int32()), "grp": ["c"], "x": [0.0]}))
    assert con.execute("select * from src order by all").fetchall() == before
    # inside a caller's transaction the failure rolls back what the caller wrote before it too
    with pytest.raises(DriftError), sqlfiles.transaction(con):
        materialise(con, "agg", {"k": 3})
        materialise(con, "src", rows=pa.table({"id": [2], "grp": ["c"], "x": [0.0]}))
    assert con.execute("select distinct k from agg").fetchall() == [(1,)]


def test_a_scope_parameter_missing_is_an_error(toy):
    with pytest.raises(ValueError, match=r"needs the parameter \$k"):
        materialise(toy, "agg", {})
