"""sql/weightings.sql, weight_rows.sql, weight_groups.sql and weight_diagnostics.sql: given returns ->
expected weights, by hand, plus the invariants (unique keys, w >= 0, per-prompt mean 1 for drift) and a
randomized comparison with a direct implementation of the reference formulas (docs/design.md §1)."""

import math
import random

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_core.errors import DriftError
from drift_core.sqlfiles import materialise, run_sql
from drift_core.weights import ensure_tables, training_set, weighting_key
from tests.sql.weights_fixtures import insert, memory_db, returns, traj, weights


def two_prompt_db():
    con = memory_db()
    insert(con, [
        traj("p", 0, [1.0]),  # R = 1
        traj("p", 1, [0.0]),  # R = 0
        traj("f", 0, [0.0], fp=-0.1),  # all-fail prompt: R = -0.1
        traj("f", 1, [0.0]),  # R = 0
    ])
    returns(con, gamma=0.9)
    return con


def test_drift_weights_by_hand():
    con = two_prompt_db()
    w = weights(con, "drift", beta=0.5)
    # p: s = (2, 0), m = 2, exp(s - m) = (1, e^-2), mean = (1 + e^-2) / 2
    mean_p = (1 + math.exp(-2)) / 2
    assert w[("p", 0)][0] == pytest.approx(1 / (mean_p + 1e-12), rel=1e-12)
    assert w[("p", 1)][0] == pytest.approx(math.exp(-2) / (mean_p + 1e-12), rel=1e-12)
    # f: s = (-0.2, 0), m = 0, exp = (e^-0.2, 1): the all-fail prompt still gets weights ~1
    mean_f = (math.exp(-0.2) + 1) / 2
    assert w[("f", 0)][0] == pytest.approx(math.exp(-0.2) / (mean_f + 1e-12), rel=1e-12)
    # group diagnostics: size 2; ESS = (sum w)^2 / sum w^2 = (1 + e^-2)^2 / (1 + e^-4) for p
    assert w[("p", 0)][1:] == pytest.approx((2, (1 + math.exp(-2)) ** 2 / (1 + math.exp(-4)), 0.5))
    assert w[("f", 1)][3] == 0.0  # success rate of the all-fail prompt


def test_uniform_rft_and_drift_ext_by_hand():
    con = two_prompt_db()
    assert {k: v[0] for k, v in weights(con, "uniform").items()} == dict.fromkeys(
        [("f", 0), ("f", 1), ("p", 0), ("p", 1)], 1.0)
    rft = weights(con, "rft")
    assert {k: v[0] for k, v in rft.items()} == {("f", 0): 0.0, ("f", 1): 0.0, ("p", 0): 1.0, ("p", 1): 0.0}
    assert rft[("f", 0)][2] == 0.0  # all weights 0 -> ESS 0
    ext = weights(con, "drift-ext", beta=0.5, all_fail_zero=True, cap=1.5)
    # all-fail prompt f -> 0; p: w = 2 / (1 + e^-2) = 1.76 capped at 1.5, the other unchanged
    assert ext[("f", 0)][0] == ext[("f", 1)][0] == 0.0
    assert ext[("p", 0)][0] == 1.5
    assert ext[("p", 1)][0] == pytest.approx(2 * math.exp(-2) / (1 + math.exp(-2)), rel=1e-9)


def test_weightings_coexist_and_recompute_replaces():
    con = two_prompt_db()
    weights(con, "drift", beta=0.1)
    weights(con, "drift", beta=0.5)
    weights(con, "rft")
    weights(con, "drift", beta=0.1)
    n, distinct = con.execute(
        "select count(*), count(distinct (run_id, prompt_id, sample_idx, scheme, beta_spec, gamma)) from weights"
    ).fetchone()
    assert (n, distinct) == (12, 12)


def test_diagnostics_by_hand():
    con = two_prompt_db()
    weights(con, "rft")
    key = {"run_ids": ["r1"], **weighting_key("rft", 0.1, 0.9, runs=["r1"], target_ess=0.5, all_fail_zero=False,
                                               weight_cap=None)}
    assert materialise(con, "weight_diagnostics", key) == 1  # written with the weighting; again: replaced
    d = con.execute(
        "select prompts, trajectories, solved_share, all_fail_prompts, mean_ess_fraction, "
        "success_weight_share, all_fail_weight_share, mean_weight, max_weight, zero_weight_share "
        "from weight_diagnostics"
    ).fetchone()
    # rft weights (p: 1, 0; f: 0, 0): only p carries weight, its ESS = 1^2/1 = 1 of 2 -> 0.5
    assert d == pytest.approx((2, 4, 0.25, 1, 0.5, 1.0, 0.0, 0.25, 1.0, 0.75))


def reference_weights(returns_by_prompt: dict, beta: float) -> dict:
    """docs/design.md §1, directly: per prompt, max-shifted exp(R/beta) over its mean + 1e-12."""
    out = {}
    for pid, rs in returns_by_prompt.items():
        s = [r / beta for r in rs]
        m = max(s)
        e = [math.exp(x - m) for x in s]
        denom = sum(e) / len(e) + 1e-12
        for i, x in enumerate(e):
            out[(pid, i)] = x / denom
    return out


reward = st.sampled_from([0.0, 1.0, 0.5, -2.0, 3.0])
group = st.lists(st.lists(reward, min_size=1, max_size=4), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(groups=st.lists(group, min_size=1, max_size=5), beta=st.sampled_from([1e-4, 0.01, 0.1, 1.0, 7.5]),
       fp=st.sampled_from([0.0, -0.1, -0.3]))
def test_drift_matches_direct_formula(groups, beta, fp):
    """Ties, all-fail groups, one-trajectory groups, negative returns, R/beta up to 3e4 (no overflow)."""
    con = memory_db()
    rows = [traj(f"p{g}", i, rs, fp=fp * (i % 2), norms=[str(int(r)) for r in rs])
            for g, trajs in enumerate(groups) for i, rs in enumerate(trajs)]
    insert(con, rows)
    got_r = returns(con, gamma=0.9)
    by_prompt = {}
    for g, trajs in enumerate(groups):
        for i, rs in enumerate(trajs):
            disc = sum(0.9 ** t * r for t, r in enumerate(rs))
            norms = [str(int(r)) for r in rs]
            rep = 0.5 * (1 - len(set(norms)) / len(norms))
            total = disc + fp * (i % 2) - rep
            assert got_r[(f"p{g}", i)][3] == pytest.approx(total, rel=1e-9, abs=1e-12)
            by_prompt.setdefault(f"p{g}", []).append(got_r[(f"p{g}", i)][3])
    got = weights(con, "drift", beta=beta)
    want = reference_weights(by_prompt, beta)
    assert set(got) == set(want)
    for k, w in want.items():
        assert math.isfinite(got[k][0]) and got[k][0] >= 0
        assert got[k][0] == pytest.approx(w, rel=1e-9, abs=1e-300)
    # invariants: per-prompt mean weight is 1 (up to the 1e-12 in the denominator)
    for pid, rs in by_prompt.items():
        mean = sum(got[(pid, i)][0] for i in range(len(rs))) / len(rs)
        assert mean == pytest.approx(1.0, rel=1e-9)


def test_invariants_on_random_data():
    rng = random.Random(0)
    con = memory_db()
    rows = [traj(f"p{p}", i, [float(rng.random() < 0.3) for _ in range(3)], fp=-0.1 * rng.randint(0, 2),
                 norms=[rng.choice("abc") for _ in range(rng.randint(0, 3))])
            for p in range(50) for i in range(rng.randint(1, 8))]
    insert(con, rows)
    returns(con, gamma=0.9)
    for scheme in ("drift", "uniform", "rft", "drift-ext"):
        weights(con, scheme, beta=0.1, all_fail_zero=True, cap=3.0)
    bad = con.execute("""
        select count(*) filter (where weight < 0 or not isfinite(weight)),
               count(*) - count(distinct (run_id, prompt_id, sample_idx, scheme, beta_spec, gamma))
        from weights""").fetchone()
    assert bad == (0, 0)
    worst = con.execute("""
        select max(abs(m - 1)) from (
            select avg(weight) m from weights where scheme = 'drift' group by run_id, prompt_id)""").fetchone()[0]
    assert worst < 1e-9
    assert con.execute("select max(weight) from weights where scheme = 'drift-ext'").fetchone()[0] <= 3.0


def test_weighting_storage_by_hand():
    con = two_prompt_db()
    weights(con, "drift-ext", beta=0.5, all_fail_zero=True, cap=1.5)
    # one weightings row per run and weighting, with the options in effect
    assert con.execute(
        "select weighting_id, run_id, scheme, beta, beta_spec, gamma, all_fail_zero, weight_cap from weightings"
    ).fetchall() == [(1, "r1", "drift-ext", 0.5, "0.5", 0.9, True, 1.5)]
    groups = con.execute(
        "select pg.prompt_id, g.group_size, g.solved_trajectories, g.weight_sum, g.solved_weight_sum, "
        "g.max_weight, g.zero_weights from weight_groups g join prompt_groups pg using (group_key) order by 1"
    ).fetchall()
    # p: w = (1.5 capped, 2 e^-2 / (1 + e^-2)), one solved; f: all-fail -> both 0
    w_p1 = 2 * math.exp(-2) / (1 + math.exp(-2))
    assert groups[0] == ("f", 2, 0, 0.0, 0.0, 0.0, 2)
    assert groups[1][:3] == ("p", 2, 1) and groups[1][6] == 0
    assert groups[1][3:6] == pytest.approx((1.5 + w_p1, 1.5, 1.5), rel=1e-12)
    # weight_rows: integers and the weight only, one row per trajectory
    assert con.execute("select count(*), count(distinct (group_key, sample_idx)) from weight_rows").fetchone() == (4, 4)
    # recomputing the weighting replaces all three (its old id is free again, so it comes back)
    weights(con, "drift-ext", beta=0.5, all_fail_zero=True, cap=1.5)
    assert con.execute(
        "select (select list(weighting_id) from weightings), (select count(*) from weight_groups), "
        "(select count(*) from weight_rows)"
    ).fetchone() == ([1], 2, 4)


def test_weight_rows_of_a_warehouse_from_before_the_solved_column_get_it():
    con = duckdb.connect()
    run_sql(con, "tables/trajectories")
    # weight_rows as it was created before it carried `solved`
    con.execute("create table weight_rows (weighting_id integer not null, group_key integer not null, "
                "sample_idx integer not null, weight double not null)")
    ensure_tables(con)
    insert(con, [traj("p", 0, [1.0]), traj("p", 1, [0.0])])
    returns(con, gamma=0.9)
    # rft: w = 1 for the solved trajectory, 0 for the other; the group sums it through weight_rows.solved
    assert weights(con, "rft")[("p", 0)][:2] == (1.0, 2)
    assert con.execute("select solved_trajectories, solved_weight_sum from weight_groups").fetchone() == (1, 1.0)


def repeats_db():
    """Prompt p: two trajectories solved at turn 2, one repeating its wrong answer; prompt q: no repeats."""
    con = memory_db()
    insert(con, [
        traj("p", 0, [0.0, 1.0], norms=["3", "5"]),  # R = 0.9 at any lambda
        traj("p", 1, [0.0, 1.0], norms=["3", "3"]),  # 1 distinct of 2: R = 0.9 - lambda / 2
        traj("q", 0, [1.0], norms=["1"]),  # R = 1
        traj("q", 1, [0.0], norms=["2"]),  # R = 0
    ])
    for lam in (0.0, 0.5):
        returns(con, gamma=0.9, lam=lam)
        weights(con, "drift", beta=0.5, lam=lam)
    return con


def test_weights_at_two_lambdas_coexist_and_differ_where_answers_repeat():
    con = repeats_db()
    w0 = weights(con, "drift", beta=0.5, lam=0.0)
    w5 = weights(con, "drift", beta=0.5, lam=0.5)
    # lambda 0: p's returns are equal (0.9, 0.9) -> w = 1 / (1 + 1e-12) each
    assert w0[("p", 0)][0] == w0[("p", 1)][0] == pytest.approx(1 / (1 + 1e-12), rel=1e-12)
    # lambda 0.5: R = (0.9, 0.65), s = R / 0.5 = (1.8, 1.3), m = 1.8: exp(s - m) = (1, e^-0.5), mean (1 + e^-0.5) / 2
    mean = (1 + math.exp(-0.5)) / 2
    assert w5[("p", 0)][0] == pytest.approx(1 / (mean + 1e-12), rel=1e-12)
    assert w5[("p", 1)][0] == pytest.approx(math.exp(-0.5) / (mean + 1e-12), rel=1e-12)
    # q has no repeats: the same weights at both lambdas
    assert w0[("q", 0)] == pytest.approx(w5[("q", 0)]) and w0[("q", 1)] == pytest.approx(w5[("q", 1)])
    # one weighting, one diagnostics row per lambda; the weights view carries the lambda
    assert con.execute("select repeat_penalty_lambda, count(*) from weightings group by 1 order by 1").fetchall() == [
        (0.0, 1), (0.5, 1)]
    assert con.execute("select repeat_penalty_lambda, trajectories from weight_diagnostics order by 1").fetchall() == [
        (0.0, 4), (0.5, 4)]
    assert con.execute("select repeat_penalty_lambda, count(*) from weights group by 1 order by 1").fetchall() == [
        (0.0, 4), (0.5, 4)]


def test_recomputing_returns_at_one_lambda_drops_that_lambdas_weightings_only():
    con = repeats_db()
    materialise(con, "returns", {"run_ids": ["r1"], "gamma": 0.9, "repeat_penalty_lambda": 0.0})
    assert con.execute("select repeat_penalty_lambda from weightings").fetchall() == [(0.5,)]
    assert con.execute("select repeat_penalty_lambda from weight_diagnostics").fetchall() == [(0.5,)]
    assert con.execute("select count(*) from weight_rows").fetchone()[0] == 4
    assert con.execute("select count(*) from returns").fetchone()[0] == 8


def test_training_set_reads_the_weighting_at_its_lambda():
    con = repeats_db()

    def weight_of(**kw):
        t = training_set(con, run_id="r1", scheme="drift", gamma=0.9, beta=0.5, **kw).to_pylist()
        return {(r["prompt_id"], r["sample_idx"]): r["weight"] for r in t}
    at0 = weight_of(repeat_penalty_lambda=0.0)
    default = weight_of()  # the reference's 0.5
    assert len(at0) == len(default) == 4
    assert at0[("p", 1)] == pytest.approx(1 / (1 + 1e-12), rel=1e-12)
    assert default[("p", 1)] == pytest.approx(math.exp(-0.5) / ((1 + math.exp(-0.5)) / 2 + 1e-12), rel=1e-12)
    assert default == weight_of(repeat_penalty_lambda=0.5)
    with pytest.raises(DriftError, match=r"repeat_penalty_lambda 1\b.*computed for this run: drift beta=0.5 gamma=0.9 "
                                         r"repeat_penalty_lambda=0; drift beta=0.5 gamma=0.9\."):
        weight_of(repeat_penalty_lambda=1.0)
