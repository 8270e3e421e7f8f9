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
