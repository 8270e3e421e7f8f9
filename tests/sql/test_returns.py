"""sql/returns.sql: given trajectories rows -> expected returns rows, computed by hand."""

import pytest

from tests.sql.weights_fixtures import insert, memory_db, returns, traj


def test_discounted_return_penalties_and_total():
    con = memory_db()
    insert(con, [
        # solved at turn 3: 0.9^2 * 1 = 0.81; answers a, b, a -> 2 distinct of 3: 0.5 * (1 - 2/3) = 1/6
        traj("p", 0, [0.0, 0.0, 1.0], norms=["a", "b", "a"]),
        # never solved, one malformed turn ('' is not an answer): distinct {x} = 1 of 3 answers
        #   repeat = 0.5 * (1 - 1/3) = 1/3; R = 0 - 0.1 - 1/3
        traj("p", 1, [0.0, 0.0, 0.0], fp=-0.1, norms=["x", "", "x"]),
        # solved at turn 1 with no answers recorded -> repeat penalty 0; R = 1
        traj("q", 0, [1.0, 0.0, 0.0], norms=[]),
    ])
    got = returns(con, gamma=0.9)
    assert got[("p", 0)] == pytest.approx((0.81, 0.0, 1 / 6, 0.81 - 1 / 6), rel=1e-12)
    assert got[("p", 1)] == pytest.approx((0.0, -0.1, 1 / 3, -0.1 - 1 / 3), rel=1e-12)
    assert got[("q", 0)] == pytest.approx((1.0, 0.0, 0.0, 1.0), rel=1e-12)


def test_gamma_one_sums_rewards_and_gammas_coexist():
    con = memory_db()
    # rewards are per-turn r_t; with gamma = 1 the discounted return is their plain sum: 0.5 + 1 = 1.5
    insert(con, [traj("p", 0, [0.5, 1.0], norms=["a", "b"])])
    assert returns(con, gamma=1.0)[("p", 0)][0] == pytest.approx(1.5)
    # gamma 0.5: 0.5 + 0.5 * 1 = 1.0; the gamma = 1 rows stay
    assert returns(con, gamma=0.5)[("p", 0)][0] == pytest.approx(1.0)
    assert con.execute("select count(*) from returns").fetchone()[0] == 2


def test_refresh_replaces_rows_instead_of_duplicating():
    con = memory_db()
    insert(con, [traj("p", 0, [1.0]), traj("p", 1, [0.0])])
    returns(con, gamma=0.9)
    returns(con, gamma=0.9)
    keys = con.execute(
        "select count(*), count(distinct (run_id, prompt_id, sample_idx, gamma)) from returns"
    ).fetchone()
    assert keys == (2, 2)


def test_only_selected_runs_are_touched():
    con = memory_db()
    insert(con, [traj("p", 0, [1.0], run_id="r1"), traj("p", 0, [0.0], run_id="r2")])
    returns(con, gamma=0.9, run_ids=["r1"])
    assert con.execute("select distinct run_id from returns").fetchall() == [("r1",)]


def lambda_db():
    con = memory_db()
    insert(con, [
        # answers 3, 3, 5: 2 distinct of 3 -> repeat = lambda * (1 - 2/3) = lambda / 3; solved at turn 3:
        #   discounted = 0.9^2 = 0.81; R = 0.81 - lambda / 3
        traj("p", 0, [0.0, 0.0, 1.0], norms=["3", "3", "5"]),
        # '' (no answer) is not a distinct answer but counts in len: 1 distinct of 2 -> lambda / 2;
        #   solved at turn 2: 0.9; R = 0.9 - lambda / 2
        traj("p", 1, [0.0, 1.0], norms=["", "4"]),
        # no answers recorded -> no repeat penalty at any lambda; R = 1
        traj("q", 0, [1.0], norms=[]),
        # one answer four times: 1 distinct of 4 -> lambda * 3/4; never solved, fp -0.1: R = -0.1 - 0.75 lambda
        traj("q", 1, [0.0, 0.0, 0.0, 0.0], fp=-0.1, norms=["7", "7", "7", "7"]),
    ])
    return con


@pytest.mark.parametrize("lam, want", [
    # (repeat_penalty, return) per trajectory: p0, p1, q0, q1 (lambda / 3, lambda / 2, 0, 3 lambda / 4)
    (0.0, {("p", 0): (0.0, 0.81), ("p", 1): (0.0, 0.9), ("q", 0): (0.0, 1.0), ("q", 1): (0.0, -0.1)}),
    (0.5, {("p", 0): (1 / 6, 0.81 - 1 / 6), ("p", 1): (0.25, 0.65), ("q", 0): (0.0, 1.0),
           ("q", 1): (0.375, -0.475)}),
    (1.0, {("p", 0): (1 / 3, 0.81 - 1 / 3), ("p", 1): (0.5, 0.4), ("q", 0): (0.0, 1.0), ("q", 1): (0.75, -0.85)}),
])
def test_repeat_penalty_lambda_by_hand(lam, want):
    con = lambda_db()
    got = returns(con, gamma=0.9, lam=lam)
    assert set(got) == set(want)
    for k, (repeat, total) in want.items():
        assert got[k][2:] == pytest.approx((repeat, total), rel=1e-12, abs=1e-15), k
    # the discounted return and the format penalty do not depend on lambda
    assert got[("p", 0)][:2] == pytest.approx((0.81, 0.0)) and got[("q", 1)][:2] == pytest.approx((0.0, -0.1))
    assert con.execute("select distinct repeat_penalty_lambda from returns").fetchall() == [(lam,)]


def test_lambdas_coexist_and_a_refresh_replaces_its_own_only():
    con = lambda_db()
    for lam in (0.0, 0.5, 1.0):
        returns(con, gamma=0.9, lam=lam)
    returns(con, gamma=0.9, lam=0.0)  # again: replaces the lambda 0 rows, keeps the others
    rows = con.execute("select repeat_penalty_lambda, count(*), sum(repeat_penalty) from returns group by 1 order by 1"
                       ).fetchall()
    # sum of the repeat penalties: lambda * (1/3 + 1/2 + 0 + 3/4) = lambda * 19/12
    assert [(lam, n) for lam, n, _ in rows] == [(0.0, 4), (0.5, 4), (1.0, 4)]
    assert [s for _, _, s in rows] == pytest.approx([0.0, 0.5 * 19 / 12, 19 / 12])
