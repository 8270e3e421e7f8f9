"""sql/eval_metrics.sql: given eval rows -> expected metric rows (values by hand, intervals by formula)."""

from __future__ import annotations

import duckdb
import pytest
from scipy.stats import binomtest

from drift_core.sqlfiles import ensure_tables, load_sql, materialise
from drift_core.stats import z_value

# (prompt_id, t_star, [(turn, answer_norm or None if unparseable, correct)])
PROBLEMS = [
    ("p1", 1, [(1, "a", True)]),
    ("p2", 2, [(1, "x", False), (2, "b", True)]),
    ("p3", None, [(1, "y", False), (2, "y", False), (3, None, False)]),  # repeats 'y', then no answer
    ("p4", 3, [(1, "z", False), (2, None, False), (3, "c", True)]),
]


def load(con, eval_id="e1", problems=PROBLEMS, model="m", dataset="d", hidden: dict[str, int] | None = None):
    """`hidden`: prompt_id -> hidden_options of the prompts that are hidden-option items."""
    ensure_tables(con, ["eval_trajectories", "eval_turns", "eval_metrics"])
    con.execute(load_sql("tables/prompts"))  # the workspace always has it (Workspace.ensure_schema)
    for pid, options in (hidden or {}).items():
        con.execute("insert or replace into prompts values (?, 'test', 'q', 'g', 'src', null, ?)", [pid, options])
    for pid, t_star, turns in problems:
        con.execute(
            "insert into eval_trajectories (eval_id, model, dataset, prompt_id, question, gold, messages, "
            "num_turns, max_turns, t_star, format_penalty, answer_norms, temperature) "
            "values (?, ?, ?, ?, 'q', 'g', [], ?, 3, ?, 0, [], 0)",
            [eval_id, model, dataset, pid, len(turns), t_star],
        )
        for turn, norm, correct in turns:
            con.execute(
                "insert into eval_turns values (?, ?, ?, 'r', ?, ?, ?, ?, 1)",
                [eval_id, pid, turn, norm, norm or "", correct, norm is not None],
            )


def metrics(con, eval_id="e1", confidence=0.95, n_boot=500):
    materialise(con, "eval_metrics", {"eval_id": eval_id, "z": z_value(confidence), "confidence": confidence,
                                      "n_boot": n_boot})
    rows = con.execute(
        "select metric, value, ci_low, ci_high, n, successes, ci_method from eval_metrics where eval_id = ?",
        [eval_id],
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_values_by_hand():
    con = duckdb.connect()
    load(con)
    m = metrics(con)
    expected = {
        "multi@1": (1, 4), "multi@2": (2, 4), "multi@3": (3, 4),  # t_star <= k among 4 problems
        "turn_acc@1": (1, 4),  # turn 1 correct: p1
        "turn_acc@2": (1, 3),  # turn 2 taken by p2 (right), p3, p4 (wrong)
        "turn_acc@3": (1, 2),  # turn 3 taken by p3 (wrong), p4 (right)
        "correction_rate@2": (1, 3),  # wrong before 2: p2, p3, p4; solved at 2: p2
        "correction_rate@3": (1, 2),  # wrong before 3: p3, p4; solved at 3: p4
        "repeat_share": (1, 3),  # parsed answers after feedback: p2 'b', p3 'y' (repeat), p4 'c'
        "correction_rate": (2, 3),  # failed at turn 1: p2 (solved at 2), p3 (never), p4 (solved at 3)
    }
    for name, (s, n) in expected.items():
        value, lo, hi, n_got, s_got, _ = m[name]
        assert (s_got, n_got) == (s, n), name
        assert value == pytest.approx(s / n), name
        assert lo <= value <= hi, name
        if name != "repeat_share":
            ci = binomtest(s, n).proportion_ci(confidence_level=0.95, method="wilson")  # reference, not our copy
            assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-9), name
    value, lo, hi, n, _, method = m["mean_turns"]
    assert value == pytest.approx((1 + 2 + 3 + 3) / 4) and n == 4 and method == "bootstrap"
    assert 1 <= lo <= value <= hi <= 3
    assert set(m) == set(expected) | {"mean_turns"}


def test_rerun_replaces_and_other_evals_stay():
    con = duckdb.connect()
    load(con, "e1")
    load(con, "e2", PROBLEMS[:2], model="m2")
    metrics(con, "e1")
    first = metrics(con, "e1")
    second = metrics(con, "e1")  # deterministic bootstrap: same interval on rerun
    assert first == second
    e2 = metrics(con, "e2")
    assert e2["multi@1"][0] == pytest.approx(0.5)
    assert con.execute("select count(*) from eval_metrics where eval_id = 'e1'").fetchone()[0] == len(first)
    # comparing two models is one query (docs/evaluation.md)
    diff = con.execute(
        "select a.value - b.value from eval_metrics a join eval_metrics b using (metric) "
        "where a.eval_id = 'e2' and b.eval_id = 'e1' and metric = 'multi@1'"
    ).fetchone()[0]
    assert diff == pytest.approx(0.25)


def test_all_solved_at_turn_one_has_empty_later_turns():
    con = duckdb.connect()
    load(con, "e3", [("p1", 1, [(1, "a", True)]), ("p2", 1, [(1, "b", True)])])
    m = metrics(con, "e3")
    assert m["multi@1"][0] == 1.0 and m["multi@1"][2] == pytest.approx(1.0)
    assert m["turn_acc@2"][0] is None and m["turn_acc@2"][3] == 0  # no problem reached turn 2
    assert m["repeat_share"][0] is None
    assert m["correction_rate"][0] is None and m["correction_rate"][3] == 0  # nothing to correct


# Hidden-option items (4 options each) beside one known item: letters as answers.
HIDDEN = [
    ("k1", 1, [(1, "a", True)]),
    ("h1", 3, [(1, "A", False), (2, "A", False), (3, "B", True)]),  # turn 2 repeats a rejected option
    ("h2", 1, [(1, "C", True)]),  # lucky at turn 1: no answer after feedback
    ("h3", None, [(1, "A", False), (2, "B", False), (3, "A", False)]),  # B eliminates, A again does not
]


def test_hidden_items_get_the_optimum_and_elimination_by_hand():
    con = duckdb.connect()
    load(con, problems=HIDDEN, hidden={"h1": 4, "h2": 4, "h3": 4})
    m = metrics(con)
    # optimum@k: 1 for the known item, min(1, k/4) for each hidden one, over the 4 problems
    for k, opt in ((1, (1 + 3 * 0.25) / 4), (2, (1 + 3 * 0.5) / 4), (3, (1 + 3 * 0.75) / 4)):
        value, lo, hi, n, s, method = m[f"optimum@{k}"]
        assert (value, lo, hi, n, method) == (pytest.approx(opt), pytest.approx(opt), pytest.approx(opt), 4, "exact")
        multi = m[f"multi@{k}"]
        share = m[f"optimum_share@{k}"]
        assert share[0] == pytest.approx(multi[0] / opt) and share[1] == pytest.approx(multi[1] / opt)
    assert m["multi@1"][0] == pytest.approx(2 / 4)
    # multi@k on the hidden items alone: h2 at 1, h1 at 3, h3 never
    for k, s in ((1, 1), (2, 1), (3, 2)):
        assert (m[f"hidden_multi@{k}"][4], m[f"hidden_multi@{k}"][3]) == (s, 3), k
    # answers after feedback on hidden items: h1 'A' (rejected), 'B'; h3 'B', 'A' (rejected) -> 2 of 4
    value, lo, hi, n, s, method = m["elimination"]
    assert (value, n, s, method) == (pytest.approx(0.5), 4, 2, "bootstrap") and 0 <= lo <= value <= hi <= 1


def test_no_hidden_items_no_optimum_rows():
    con = duckdb.connect()
    load(con, problems=HIDDEN)  # the same episodes, none of them a hidden-option item
    m = metrics(con)
    assert not {k for k in m if k.startswith(("optimum", "hidden_multi")) or k == "elimination"}


def test_the_cards_elimination_is_the_sqls():
    """drift_core.tiny_world.card.elimination (the card, no warehouse) and sql/eval_metrics.sql agree on the
    same hidden-item episodes."""
    from drift_core.config import ProtocolConfig
    from drift_core.episode import Episode, Turn
    from drift_core.tiny_world.card import elimination

    hidden = [p for p in HIDDEN if p[0].startswith("h")]
    episodes = [
        Episode(pid, 0, "q", "g", ProtocolConfig(), t_star=t_star,
                turns=[Turn(t, "r", norm, norm or "", ok, float(ok), norm is not None, 0.0, 1)
                       for t, norm, ok in turns])
        for pid, t_star, turns in hidden
    ]
    con = duckdb.connect()
    load(con, problems=hidden, hidden={pid: 4 for pid, _, _ in hidden})
    assert elimination(episodes) == pytest.approx(metrics(con)["elimination"][0]) == pytest.approx(0.5)
