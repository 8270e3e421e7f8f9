"""compute_weights / training_set on a real workspace (Parquet shards + warehouse.duckdb)."""

import math
import re
from pathlib import Path

import pytest

from drift_core.config import WeightsConfig
from drift_core.config.base import SPEED_ONLY
from drift_core.config.weights import KEY_FIELDS, NOT_KEY_FIELDS
from drift_core.errors import DriftError
from drift_core.jsonl_io import import_jsonl
from drift_core.sqlfiles import SQL_DIR, Term, load_sql, run_sql, table
from drift_core.testing.reference_records import write_jsonl
from drift_core.weights import KEY_COLUMNS, compute_weights, config_training_set, training_set


@pytest.fixture()
def imported(workspace, tmp_path):
    path = write_jsonl(tmp_path / "traj.jsonl", 96, group=8, seed=1)
    return workspace, import_jsonl(workspace, path).run_id


def test_summary_matches_tables_and_weightings_coexist(imported):
    ws, run = imported
    a = compute_weights(ws, WeightsConfig())
    b = compute_weights(ws, WeightsConfig(scheme="rft"))
    again = compute_weights(ws, WeightsConfig())
    assert (a.beta, a.beta_spec, a.rows, b.beta, b.beta_spec) == (0.1, "0.1", 96, None, "none")
    assert again.runs == a.runs
    con = ws.connect(read_only=True)
    counts = con.execute("select scheme, count(*) from weights group by 1 order by 1").fetchall()
    assert counts == [("drift", 96), ("rft", 96)]
    r = a.runs[0]
    n_fail = con.execute(
        "select count(*) from (select prompt_id from trajectories group by 1 having bool_and(t_star is null))"
    ).fetchone()[0]
    assert (r.run_id, r.prompts, r.trajectories, r.all_fail_prompts) == (run, 12, 96, n_fail)
    share = con.execute(
        "select sum(weight) filter (where solved) / sum(weight) from weights where scheme = 'drift'"
    ).fetchone()[0]
    assert r.success_weight_share == pytest.approx(share)
    assert a.metrics()["mean_ess_fraction"] == pytest.approx(r.mean_ess_fraction)
    con.close()


def test_beta_auto_meets_target_and_is_stored_under_auto(imported):
    ws, run = imported
    s = compute_weights(ws, WeightsConfig(beta="auto", target_ess=0.6))
    assert s.beta_spec == "auto" and s.target_met
    assert s.runs[0].mean_ess_fraction >= 0.6
    # a slightly smaller beta falls short (the search picks the sharpest beta that meets the target)
    lower = compute_weights(ws, WeightsConfig(beta=s.beta * 0.97))
    assert lower.runs[0].mean_ess_fraction < 0.6
    con = ws.connect(read_only=True)
    t = training_set(con, run_id=run, scheme="drift", gamma=0.9, beta="auto", target_ess=0.6)
    assert t.num_rows == 96 and set(t.column("beta").to_pylist()) == {s.beta}
    with pytest.raises(DriftError, match=r"target_ess=0.5; computed for this run: .*auto gamma=0.9 target_ess=0.6"):
        training_set(con, run_id=run, scheme="drift", gamma=0.9, beta="auto")  # the default target: not computed
    con.close()


def test_training_set_columns_and_missing_weighting(imported):
    ws, run = imported
    compute_weights(ws, WeightsConfig(scheme="uniform"))
    con = ws.connect(read_only=True)
    t = training_set(con, run_id=run, scheme="uniform", gamma=0.9, beta=0.1)
    assert t.column_names[:5] == ["run_id", "prompt_id", "sample_idx", "messages", "weight"]
    assert str(t.schema.field("messages").type) == "list<l: struct<role: string, content: string>>"
    assert set(t.column("weight").to_pylist()) == {1.0}
    with pytest.raises(DriftError, match=r"scheme drift, beta 0.3.*computed for this run: uniform"):
        training_set(con, run_id=run, scheme="drift", gamma=0.9, beta=0.3)
    con.close()


def test_bad_rewards_write_nothing(imported, tmp_path):
    ws, run = imported
    compute_weights(ws, WeightsConfig())
    # a second run whose rewards hold NaN: refused, and the first run's weights are untouched
    import duckdb

    bad = tmp_path / "bad.parquet"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace ('bad' as run_id, ['nan'::double, 1.0] as turn_rewards) "
        f"from read_parquet('{ws.run_dir(run)}/*.parquet') limit 3) to '{bad}'"
    )
    con.close()
    dest = ws.run_dir("bad") / "shard-00000.parquet"
    dest.parent.mkdir(parents=True)
    bad.rename(dest)
    with pytest.raises(DriftError, match=r"run bad, prompt_id .* turn_rewards has a NaN"):
        compute_weights(ws, WeightsConfig(beta=0.2))
    con = ws.connect(read_only=True)
    assert con.execute("select count(*), min(beta_spec) from weights").fetchone() == (96, "0.1")
    con.close()


@pytest.mark.parametrize("kw, msg", [
    ({"beta": 0}, "beta"), ({"beta": -1.0}, "beta"), ({"gamma": 0.0}, "gamma"), ({"gamma": 1.5}, "gamma"),
    ({"scheme": "nope"}, "scheme"),
])
def test_bad_config_is_refused(kw, msg):
    with pytest.raises(ValueError, match=msg):
        WeightsConfig(**kw)


def test_unknown_run_and_empty_warehouse(workspace, imported):
    ws, _ = imported
    with pytest.raises(DriftError, match="no run 'zzz'"):
        compute_weights(ws, WeightsConfig(), run_id="zzz")


def test_empty_warehouse_is_an_error(workspace):
    with pytest.raises(DriftError, match="no trajectories"):
        compute_weights(workspace, WeightsConfig())


def test_weights_average_one_per_prompt(imported):
    ws, _ = imported
    compute_weights(ws, WeightsConfig(beta=0.05))
    con = ws.connect(read_only=True)
    worst = con.execute(
        "select max(abs(m - 1)) from (select avg(weight) m from weights group by prompt_id)"
    ).fetchone()[0]
    assert math.isfinite(worst) and worst < 1e-9
    con.close()


def test_overflowing_beta_writes_nothing(imported):
    ws, _ = imported
    compute_weights(ws, WeightsConfig())
    with pytest.raises(DriftError, match="overflows"):
        compute_weights(ws, WeightsConfig(beta=1e-320))
    con = ws.connect(read_only=True)
    assert con.execute("select count(*), min(beta_spec) from weights").fetchone() == (96, "0.1")
    con.close()


def test_returns_are_reused_until_the_shards_change(imported, tmp_path):
    ws, run = imported
    first = compute_weights(ws, WeightsConfig())  # the import computed the returns at gamma 0.9
    second = compute_weights(ws, WeightsConfig(beta=0.3))
    other_gamma = compute_weights(ws, WeightsConfig(gamma=0.5))
    assert (first.returns_reused, second.returns_reused, other_gamma.returns_reused) == (True, True, False)
    # a new shard in the run (here: one more copy of a prompt group) -> returns recomputed
    import duckdb

    con = duckdb.connect()
    extra = ws.run_dir(run) / "shard-00001.parquet"
    con.execute(
        f"copy (select * replace ('extra_prompt' as prompt_id) "
        f"from read_parquet('{ws.run_dir(run)}/shard-00000.parquet') limit 8) to '{extra}'"
    )
    con.close()
    third = compute_weights(ws, WeightsConfig())
    assert not third.returns_reused and third.rows == 104
    con = ws.connect(read_only=True)
    assert con.execute("select count(*) from returns where gamma = 0.9").fetchone()[0] == 104
    # the beta 0.3 weighting was computed from the replaced returns: gone (stale), not left to mislead;
    # gamma 0.5's returns and weights are not refreshed until asked for, so they stay as they were
    kept = con.execute("select beta_spec, gamma, count(*) from weights group by all order by all").fetchall()
    assert kept == [("0.1", 0.5, 96), ("0.1", 0.9, 104)]
    assert con.execute("select count(*) from weight_diagnostics").fetchone()[0] == 2
    con.close()


def test_import_fills_returns_at_its_gamma(workspace, tmp_path):
    path = write_jsonl(tmp_path / "traj.jsonl", 32, group=8, seed=2)
    res = import_jsonl(workspace, path, returns_gamma=0.7)
    con = workspace.connect(read_only=True)
    assert con.execute("select gamma, count(*) from returns group by 1").fetchall() == [(0.7, 32)]
    con.close()
    assert compute_weights(workspace, WeightsConfig(gamma=0.7)).returns_reused
    none = import_jsonl(workspace, path, run_id="no_returns", returns_gamma=None)
    con = workspace.connect(read_only=True)
    assert con.execute("select count(*) from returns where run_id = $r", {"r": none.run_id}).fetchone()[0] == 0
    assert res.returns_seconds > 0 and none.returns_seconds == 0
    con.close()


def test_group_keys_are_stable_and_unique_across_runs(imported, tmp_path):
    ws, run = imported
    compute_weights(ws, WeightsConfig())
    con = ws.connect(read_only=True)
    before = con.execute("select * from prompt_groups order by all").fetchall()
    con.close()
    import_jsonl(ws, write_jsonl(tmp_path / "more.jsonl", 16, group=8, seed=9), run_id="more")
    compute_weights(ws, WeightsConfig(gamma=0.8))
    con = ws.connect(read_only=True)
    after = con.execute("select * from prompt_groups order by all").fetchall()
    assert set(before) <= set(after) and len(after) == len(before) + 2
    assert len({g for g, _, _ in after}) == len(after)
    # the weights view gives each (run, prompt) its own group: two runs, same prompt ids, no mixing
    sizes = con.execute("select distinct run_id, group_size from weights where gamma = 0.8 order by 1").fetchall()
    assert sizes == sorted([("more", 8), (run, 8)])
    con.close()


def test_a_warehouse_from_before_the_weights_storage_is_rebuilt(imported):
    ws, run = imported
    con = ws.connect()
    # the old layout: weights a table, returns without group_key (derived data only)
    con.execute("drop view weights")
    con.execute("drop table returns")
    con.execute("create table returns (run_id varchar, gamma double, \"return\" double)")
    con.execute("create table weights (run_id varchar, weight double)")
    con.execute("insert into weights values ('old', 1.0)")
    con.close()
    s = compute_weights(ws, WeightsConfig())
    assert s.rows == 96 and not s.returns_reused
    con = ws.connect(read_only=True)
    assert con.execute("select count(*), count(distinct run_id) from weights").fetchone() == (96, 1)
    assert con.execute("select table_type from information_schema.tables where table_name = 'weights'"
                       ).fetchone()[0] == "VIEW"
    con.close()


def test_repeat_penalty_lambda_keys_returns_and_weightings(imported):
    ws, run = imported
    ref = compute_weights(ws, WeightsConfig())  # the import computed the returns at lambda 0.5
    zero = compute_weights(ws, WeightsConfig(), repeat_penalty_lambda=0)
    zero_again = compute_weights(ws, WeightsConfig(beta=0.3), repeat_penalty_lambda=0.0)
    assert (ref.returns_reused, zero.returns_reused, zero_again.returns_reused) == (True, False, True)
    assert (ref.repeat_penalty_lambda, zero.repeat_penalty_lambda) == (0.5, 0.0)
    con = ws.connect(read_only=True)
    # returns at both lambdas; with lambda 0 no repeat penalty, so R = discounted + format penalty
    rows = con.execute("""
        select a.repeat_penalty, b.repeat_penalty, a."return", b."return", b.discounted_return + b.format_penalty
        from returns a join returns b using (run_id, prompt_id, sample_idx, gamma)
        where a.repeat_penalty_lambda = 0.5 and b.repeat_penalty_lambda = 0""").fetchall()
    assert len(rows) == 96 and all(r[1] == 0.0 and r[3] == pytest.approx(r[4], abs=1e-15) for r in rows)
    repeats = [r for r in rows if r[0] > 0]
    assert repeats and all(r[2] == pytest.approx(r[3] - r[0], abs=1e-12) for r in repeats)
    # both weightings and their diagnostics are kept, told apart by the lambda
    assert con.execute("select repeat_penalty_lambda, beta_spec from weight_diagnostics order by all").fetchall() == [
        (0.0, "0.1"), (0.0, "0.3"), (0.5, "0.1")]
    t0 = training_set(con, run_id=run, scheme="drift", gamma=0.9, beta=0.1, repeat_penalty_lambda=0.0)
    t5 = training_set(con, run_id=run, scheme="drift", gamma=0.9, beta=0.1)
    assert t0.num_rows == t5.num_rows == 96
    assert t0.column("weight").to_pylist() != t5.column("weight").to_pylist()  # the generator repeats answers
    want = dict(con.execute("""
        select prompt_id || '/' || sample_idx, weight from weights
        where scheme = 'drift' and beta_spec = '0.1' and gamma = 0.9 and repeat_penalty_lambda = 0""").fetchall())
    got = {f"{p}/{i}": w for p, i, w in zip(t0.column("prompt_id").to_pylist(), t0.column("sample_idx").to_pylist(),
                                            t0.column("weight").to_pylist(), strict=True)}
    assert got == want
    con.close()
    with pytest.raises(DriftError, match="repeat_penalty_lambda"):
        compute_weights(ws, WeightsConfig(), repeat_penalty_lambda=-1)


def test_a_warehouse_from_before_the_lambda_column_keeps_its_rows_as_lambda_half(imported):
    ws, run = imported
    compute_weights(ws, WeightsConfig())
    con = ws.connect()
    before = con.execute('select run_id, prompt_id, sample_idx, weight, "return" from weights order by all').fetchall()
    # the layout before repeat_penalty_lambda was a column (every return computed at the fixed 0.5)
    con.execute("drop view weights")
    for t in ("returns", "returns_state", "weightings", "weight_diagnostics"):
        con.execute(f"alter table {t} drop column repeat_penalty_lambda")
    con.close()
    s = compute_weights(ws, WeightsConfig(beta=0.3))
    assert s.returns_reused  # returns_state's rows now read as lambda 0.5: nothing to recompute
    con = ws.connect(read_only=True)
    assert con.execute("select distinct repeat_penalty_lambda from returns").fetchall() == [(0.5,)]
    assert con.execute(
        'select run_id, prompt_id, sample_idx, weight, "return" from weights where beta_spec = \'0.1\' order by all'
    ).fetchall() == before
    assert con.execute("select count(*) from weight_diagnostics where repeat_penalty_lambda = 0.5").fetchone()[0] == 2
    con.close()


# -- a weighting's key is every option that changes its rows ---------------------------------------------
# For each key field of WeightsConfig: two configs on the same run that differ in it only. A new key field
# needs its pair here (the test below refuses a field without one).
KEY_FIELD_PAIRS = {
    "scheme": ({"scheme": "drift"}, {"scheme": "rft"}),
    "beta": ({"beta": 0.1}, {"beta": 0.3}),
    "gamma": ({"gamma": 0.9}, {"gamma": 0.5}),
    "target_ess": ({"beta": "auto", "target_ess": 0.5}, {"beta": "auto", "target_ess": 0.8}),
    "all_fail_zero": ({"scheme": "drift-ext", "all_fail_zero": False}, {"scheme": "drift-ext", "all_fail_zero": True}),
    "weight_cap": ({"scheme": "drift-ext", "weight_cap": 1.5}, {"scheme": "drift-ext", "weight_cap": 3.0}),
    # beta 'auto' chosen on this run alone, or on all runs of the warehouse together (run_id None)
    "run_id": ({"beta": "auto", "run_id": "RUN"}, {"beta": "auto", "run_id": None}),
}
# For each field declared outside the key: a second value, which must leave the rows as they are.
NOT_KEY_FIELD_VALUES: dict[str, object] = {}


def test_every_weights_field_is_declared_in_or_out_of_the_key():
    fields = set(WeightsConfig.model_fields)
    assert set(KEY_FIELDS) | set(NOT_KEY_FIELDS) == fields, "declare each field in KEY_FIELDS or NOT_KEY_FIELDS"
    assert not set(KEY_FIELDS) & set(NOT_KEY_FIELDS)
    assert all(isinstance(why, str) and why.strip() for why in NOT_KEY_FIELDS.values())
    speed_only = {n for n, f in WeightsConfig.model_fields.items() if f.json_schema_extra == SPEED_ONLY}
    assert speed_only <= set(NOT_KEY_FIELDS)
    assert set(KEY_FIELD_PAIRS) == set(KEY_FIELDS) and set(NOT_KEY_FIELD_VALUES) == set(NOT_KEY_FIELDS)
    # the declared columns are the key of weightings, and what one write of it replaces; the tables built
    # from a weighting refer to it by weighting_id (the key lives in weightings only)
    key = set(KEY_COLUMNS)
    assert len(KEY_COLUMNS) == len(key) and "repeat_penalty_lambda" in key
    assert set(table("weightings").unique[1]) == key
    assert {term.column for term in table("weightings").scope} == key
    for t in ("weight_rows", "weight_groups", "weight_diagnostics"):
        assert table(t).key[0] == "weighting_id" and table(t).scope == (Term("weighting_id", "from", "weightings"),), t
    # the one query that picks a weighting by its key names all of it
    text = load_sql("weighting_in")
    missing = [c for c in key - {"run_id"} if f"{c} = ${c}" not in text]
    assert not missing, f"sql/weighting_in.sql does not select the weighting by {missing}"
    # the models of one weighting's tables and its readers read it from the temp table weighting_in
    for name in ("weight_rows", "weight_groups", "weight_diagnostics", "training_set", "lookups/diagnostics_of"):
        text = load_sql(name)
        assert "join weighting_in" in text or "from weighting_in" in text, name
        assert "from weightings" not in text and "list_contains($run_ids" not in text, name
    # ... and what reads weightings back shows all of it
    from tests.sql.weights_fixtures import memory_db

    con = memory_db()
    assert key <= {d[0] for d in con.execute("select * from weights").description}
    assert key - {"run_id"} <= {d[0] for d in run_sql(con, "lookups/available_weightings", {"run_id": "r"}).description}


def test_only_weighting_in_selects_a_weighting_by_its_key():
    """A weighting is selected by its whole key in one place, sql/weighting_in.sql (and the weightings
    table declares it, sql/tables/weightings.sql): every other SQL file joins that selection on
    weighting_id. A filter on one of the key columns that only a weighting has (the returns' gamma and
    repeat_penalty_lambda select returns too) anywhere else is a second copy of the selection."""
    weighting_only = set(KEY_COLUMNS) - {"run_id", "gamma", "repeat_penalty_lambda"}
    pattern = re.compile(r"\b(" + "|".join(sorted(weighting_only)) + r")\s*=\s*\$(\w+)")
    allowed = {"weighting_in.sql", "tables/weightings.sql"}
    found = {}
    for path in sorted(Path(SQL_DIR).rglob("*.sql")):
        name = path.relative_to(SQL_DIR).as_posix()
        hits = [m[0] for m in pattern.findall(path.read_text())]
        if hits:
            found[name] = sorted(set(hits))
    assert found.get("weighting_in.sql") == sorted(weighting_only)  # the pattern finds the one selection
    assert {n: c for n, c in found.items() if n not in allowed} == {}


def _config(run: str, kw: dict) -> WeightsConfig:
    return WeightsConfig(**{k: (run if v == "RUN" else v) for k, v in kw.items()})


def _rows(con, cfg: WeightsConfig, run: str) -> list[tuple]:
    t = config_training_set(con, cfg, run)
    return list(zip(t.column("prompt_id").to_pylist(), t.column("sample_idx").to_pylist(),
                    t.column("weight").to_pylist(), strict=True))


@pytest.mark.parametrize("field", sorted(KEY_FIELD_PAIRS))
def test_changing_a_key_field_keeps_both_weightings(imported, tmp_path, field):
    ws, run = imported
    if field == "run_id":  # a second run, so that weighting every run together differs from this run alone
        import_jsonl(ws, write_jsonl(tmp_path / "more.jsonl", 32, group=8, seed=5), run_id="more")
    first, second = (_config(run, kw) for kw in KEY_FIELD_PAIRS[field])
    compute_weights(ws, first, run_id=first.run_id or None)
    con = ws.connect(read_only=True)
    rows_first = _rows(con, first, run)
    con.close()
    compute_weights(ws, second)
    compute_weights(ws, second)  # recomputing replaces its own rows only
    con = ws.connect(read_only=True)
    counts = con.execute("select (select count(*) from weightings where run_id = $r), "
                         "(select count(*) from weight_diagnostics where run_id = $r)", {"r": run}).fetchall()
    assert counts == [(2, 2)]
    assert _rows(con, first, run) == rows_first  # the first is still there, unchanged, and read by its config
    rows_second = _rows(con, second, run)
    assert len(rows_second) == 96 and rows_second != rows_first
    con.close()


def test_changing_a_field_outside_the_key_keeps_the_rows(imported):
    ws, run = imported
    base = WeightsConfig(scheme="drift-ext", beta="auto", all_fail_zero=True, weight_cap=2.0)
    compute_weights(ws, base)
    con = ws.connect(read_only=True)
    rows = _rows(con, base, run)
    con.close()
    for field in sorted(NOT_KEY_FIELDS):  # none yet
        other = base.model_copy(update={field: NOT_KEY_FIELD_VALUES[field]})
        compute_weights(ws, other)
        con = ws.connect(read_only=True)
        assert _rows(con, base, run) == _rows(con, other, run) == rows, field
        con.close()


def test_a_capped_weighting_is_not_replaced_by_another_cap(imported):
    """drift weights --scheme drift-ext --beta 0.1 --weight-cap 1.5, then --weight-cap 3.0: the training
    rows of the cap-1.5 config are still the cap-1.5 rows."""
    ws, run = imported
    cap15 = WeightsConfig(scheme="drift-ext", beta=0.1, weight_cap=1.5)
    compute_weights(ws, cap15)
    con = ws.connect(read_only=True)
    alone = config_training_set(con, cap15, run).to_pylist()
    con.close()
    from drift_core.config import PipelineConfig
    from drift_core.stages.weights import config_rows, training_rows

    assert training_rows(ws, run, "drift-ext", 0.9, 0.1).to_pylist() == alone  # the only drift-ext beta 0.1
    cap30 = compute_weights(ws, WeightsConfig(scheme="drift-ext", beta=0.1, weight_cap=3.0))
    assert cap30.runs[0].max_weight > 1.5  # the data has weights the two caps clip differently
    con = ws.connect(read_only=True)
    got = config_training_set(con, cap15, run).to_pylist()
    assert got == alone and len(got) == 96
    assert max(r["weight"] for r in got) == 1.5
    assert training_set(con, run_id=run, scheme="drift-ext", gamma=0.9, beta=0.1, weight_cap=1.5).to_pylist() == alone
    assert con.execute("select list(weight_cap order by weight_cap) from weightings").fetchone()[0] == [1.5, 3.0]
    con.close()
    # the training stage reads the weighting by the whole key too; naming it without its options is refused
    assert config_rows(ws, PipelineConfig(weights=cap15).weights, run).to_pylist() == alone
    with pytest.raises(DriftError, match=r"2 weightings with scheme drift-ext, beta 0.1, gamma 0.9 that differ "
                                         r"in their options \(weight_cap=1.5; weight_cap=3\)"):
        training_rows(ws, run, "drift-ext", 0.9, 0.1)


def test_options_that_do_not_apply_are_one_key(imported):
    ws, run = imported
    compute_weights(ws, WeightsConfig(beta=0.1, weight_cap=1.5, all_fail_zero=True, target_ess=0.9))
    compute_weights(ws, WeightsConfig(beta=0.1))  # drift ignores the cap and all_fail_zero, beta 0.1 the target
    con = ws.connect(read_only=True)
    assert con.execute("select target_ess, all_fail_zero, weight_cap, beta_pool from weightings").fetchall() == [
        (0.0, False, math.inf, [])]
    assert training_set(con, run_id=run, scheme="drift", gamma=0.9, beta=0.1, weight_cap=7.0).num_rows == 96
    con.close()


def test_a_warehouse_from_before_the_option_columns_keeps_what_it_can_label(imported):
    ws, run = imported
    ext = WeightsConfig(scheme="drift-ext", beta=0.2, all_fail_zero=True, weight_cap=1.5)
    auto = WeightsConfig(beta="auto", target_ess=0.6)
    for cfg in (WeightsConfig(), ext, auto):
        compute_weights(ws, cfg)
    con = ws.connect()
    before = {cfg.scheme: config_training_set(con, cfg, run).to_pylist() for cfg in (WeightsConfig(), ext)}
    diagnostics = con.execute("select * exclude (target_ess, all_fail_zero, weight_cap, beta_pool) "
                              "from weight_diagnostics where beta_spec <> 'auto' order by all").fetchall()
    # the layout before: weightings without target_ess / beta_pool, a NULL weight_cap for none, and
    # weight_diagnostics without the options
    con.execute("drop view weights")
    con.execute("alter table weightings alter column weight_cap drop not null")
    con.execute("update weightings set weight_cap = null where weight_cap = 'infinity'")
    con.execute("alter table weightings drop column target_ess")
    con.execute("alter table weightings drop column beta_pool")
    for c in ("target_ess", "all_fail_zero", "weight_cap", "beta_pool"):
        con.execute(f"alter table weight_diagnostics drop column {c}")
    con.close()
    s = compute_weights(ws, WeightsConfig(beta=0.3))  # opens it: the columns are added, the rows labelled
    assert s.returns_reused
    con = ws.connect(read_only=True)
    assert con.execute("select beta_spec, target_ess, all_fail_zero, weight_cap, beta_pool from weightings "
                       "order by all").fetchall() == [("0.1", 0.0, False, math.inf, []), ("0.2", 0.0, True, 1.5, []),
                                                      ("0.3", 0.0, False, math.inf, [])]
    assert {cfg.scheme: config_training_set(con, cfg, run).to_pylist() for cfg in (WeightsConfig(), ext)} == before
    assert con.execute("select * exclude (target_ess, all_fail_zero, weight_cap, beta_pool) from weight_diagnostics "
                       "where beta_spec in ('0.1', '0.2') order by all").fetchall() == diagnostics
    assert con.execute("select all_fail_zero, weight_cap from weight_diagnostics where beta_spec = '0.2'"
                       ).fetchall() == [(True, 1.5)]
    # the beta 'auto' weighting did not record its target: dropped with its rows, recomputed when asked for
    assert con.execute("select (select count(*) from weights where beta_spec = 'auto'), (select count(*) from "
                       "weight_rows where weighting_id not in (select weighting_id from weightings))"
                       ).fetchall() == [(0, 0)]
    with pytest.raises(DriftError, match="no weights for run .* beta auto"):
        config_training_set(con, auto, run)
    con.close()
    assert compute_weights(ws, auto).target_met
    con = ws.connect(read_only=True)
    assert config_training_set(con, auto, run).num_rows == 96
    con.close()


def test_a_warehouse_from_before_diagnostics_had_weighting_id_keeps_its_rows(imported):
    ws, run = imported
    ext = WeightsConfig(scheme="drift-ext", beta=0.2, all_fail_zero=True, weight_cap=1.5)
    for cfg in (WeightsConfig(), ext, WeightsConfig(beta="auto", target_ess=0.6)):
        compute_weights(ws, cfg)
    con = ws.connect()
    before = con.execute("select * from weight_diagnostics order by weighting_id").fetchall()
    assert len(before) == 3
    # the layout before: weight_diagnostics held the key only; and a row no weighting describes
    con.execute("alter table weight_diagnostics drop column weighting_id")
    con.execute("insert into weight_diagnostics by name select * exclude (scheme) replace (9.0 as gamma), "
                "'drift' as scheme from weight_diagnostics where beta_spec = '0.1'")
    con.close()
    s = compute_weights(ws, WeightsConfig(beta=0.3))  # opens it: each row gets its weighting's id
    assert s.returns_reused
    con = ws.connect(read_only=True)
    after = con.execute("select * from weight_diagnostics order by weighting_id").fetchall()
    assert after[:3] == [(*r[1:], r[0]) for r in before]  # the column comes last in a migrated table
    assert len(after) == 4 and after[3][:2] == (run, "drift") and after[3][3] == "0.3"
    assert con.execute("select count(*) from weight_diagnostics d join weightings w using (weighting_id) "
                       "where (d.run_id, d.beta_spec, d.gamma, d.weight_cap, d.beta_pool) = "
                       "(w.run_id, w.beta_spec, w.gamma, w.weight_cap, w.beta_pool)").fetchone()[0] == 4
    assert con.execute("select is_nullable from duckdb_columns() where table_name = 'weight_diagnostics' "
                       "and column_name = 'weighting_id'").fetchone()[0] is False
    assert s.runs[0].trajectories == 96  # compute_weights reads its diagnostics back by weighting_id
    assert config_training_set(con, ext, run).num_rows == 96
    con.close()
