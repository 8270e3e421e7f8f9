"""The registry of weighting schemes (drift_core/weight_schemes.py): what is derived from it, and that a scheme
added from outside the package (an entry whose SQL expression comes from here) is weighted end to end on a real
warehouse, read back by training_set, and gone again afterwards."""

from collections import defaultdict
from pathlib import Path

import pytest

from drift_core import weight_schemes
from drift_core.config import WeightsConfig
from drift_core.config.compare import SweepConfig
from drift_core.errors import DriftError
from drift_core.jsonl_io import import_jsonl
from drift_core.sqlfiles import SQL_DIR, load_sql
from drift_core.testing.reference_records import write_jsonl
from drift_core.weights import compute_weights, config_training_set, weighting_key

STOCK = ("drift", "uniform", "rft", "drift-ext")

# A scheme the package does not have: the rank of a trajectory's return within its prompt group over the
# group's size (ties share the lower rank), in (0, 1]. No beta.
RANK = weight_schemes.Scheme(
    "rank", "rank of R within its prompt over the prompt's size", uses_beta=False,
    sql='rank() over (partition by group_key order by "return") / count(*) over (partition by group_key)',
)


@pytest.fixture()
def rank_scheme():
    """RANK registered for one test, unregistered after it, so that other tests see the stock registry."""
    weight_schemes.register(RANK)
    try:
        yield RANK
    finally:
        weight_schemes.unregister(RANK.name)


@pytest.fixture()
def imported(workspace, tmp_path):
    path = write_jsonl(tmp_path / "traj.jsonl", 96, group=8, seed=1)
    return workspace, import_jsonl(workspace, path).run_id


def test_the_stock_registry_and_its_sql_files():
    assert weight_schemes.names() == STOCK  # also: no test left a scheme of its own registered
    files = {p.stem for p in (Path(SQL_DIR) / "schemes").glob("*.sql")}
    assert files == set(STOCK), "one sql/schemes/<name>.sql per stock scheme, and no other"
    for name in STOCK:
        scheme = weight_schemes.get(name)
        assert scheme.sql is None and scheme.weight_sql() == load_sql(f"schemes/{name}")
    assert [n for n in STOCK if weight_schemes.get(n).uses_beta] == ["drift", "drift-ext"]
    assert [n for n in STOCK if weight_schemes.get(n).uses_weight_cap] == ["drift-ext"]


def test_config_error_schema_and_help_come_from_the_registry(rank_scheme):
    with pytest.raises(ValueError, match=r"unknown scheme 'nope' \(choose drift, uniform, rft, drift-ext, rank\)"):
        WeightsConfig(scheme="nope")
    prop = WeightsConfig.model_json_schema()["properties"]["scheme"]
    assert prop["enum"] == [*STOCK, "rank"] and "rank: rank of R within its prompt" in prop["description"]
    assert WeightsConfig(scheme="rank").scheme == "rank"
    with pytest.raises(ValueError, match="scheme 'rank' has no beta to sweep"):
        SweepConfig(scheme="rank")
    with pytest.raises(ValueError, match="registered already"):
        weight_schemes.register(RANK)
    with pytest.raises(ValueError, match="lower-case"):
        weight_schemes.register(weight_schemes.Scheme("Bad Name", "", uses_beta=False, sql="1.0"))


def test_a_scheme_registered_from_a_test_is_weighted_and_read_back(imported, rank_scheme):
    ws, run = imported
    s = compute_weights(ws, WeightsConfig(scheme="rank", beta=0.3, weight_cap=2.0, all_fail_zero=True))
    # uses_beta False: no beta, key 'none'; the drift-ext options do not apply, so they are not in the key
    assert (s.scheme, s.beta, s.beta_spec, s.rows, s.weight_cap, s.all_fail_zero) == ("rank", None, "none", 96,
                                                                                      None, False)
    con = ws.connect(read_only=True)
    try:
        rows = config_training_set(con, WeightsConfig(scheme="rank"), run).to_pylist()
    finally:
        con.close()
    assert len(rows) == 96 and {r["scheme"] for r in rows} == {"rank"}
    by_prompt = defaultdict(list)
    for r in rows:
        by_prompt[r["prompt_id"]].append(r)
    assert len(by_prompt) == 12
    for group in by_prompt.values():
        n = len(group)
        for r in group:  # rank = 1 + the number of the group's returns below this one
            expected = (1 + sum(o["return"] < r["return"] for o in group)) / n
            assert r["weight"] == pytest.approx(expected, rel=1e-12)
    assert len({r["weight"] for r in rows}) > 3  # not a constant the check above could pass by accident
    # the stock schemes still weight as before beside it
    assert compute_weights(ws, WeightsConfig(scheme="uniform")).runs[0].mean_weight == 1.0


def test_an_unregistered_scheme_is_refused_everywhere(rank_scheme):
    key = weighting_key("rank", "auto", 0.9, runs=["r"], target_ess=0.5, all_fail_zero=True, weight_cap=1.0)
    assert (key["beta_spec"], key["target_ess"], key["all_fail_zero"], key["weight_cap"]) == (
        "none", 0.0, False, float("inf"))
    weight_schemes.unregister("rank")
    try:
        with pytest.raises(DriftError, match="unknown scheme 'rank'"):
            weighting_key("rank", 0.1, 0.9, runs=["r"], target_ess=0.5, all_fail_zero=False, weight_cap=None)
        with pytest.raises(ValueError, match="unknown scheme 'rank'"):
            WeightsConfig(scheme="rank")
    finally:
        weight_schemes.register(RANK)  # for the fixture to unregister
