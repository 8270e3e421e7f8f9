"""compute_weights / training_set on a real workspace (Parquet shards + warehouse.duckdb)."""

import math

import pytest

from drift_core.config import WeightsConfig
from drift_core.errors import DriftError
from drift_core.jsonl_io import import_jsonl
from drift_core.testing.reference_records import write_jsonl
from drift_core.weights import compute_weights, training_set


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
    t = training_set(con, run_id=run, scheme="drift", gamma=0.9, beta="auto")
    assert t.num_rows == 96 and set(t.column("beta").to_pylist()) == {s.beta}
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
