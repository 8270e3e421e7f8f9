"""drift_core/compare/arms.py: the arm registry, what CompareConfig and the help texts derive from it, and
that a new arm is one entry (registered from this file, the package untouched)."""

from __future__ import annotations

import pytest

from drift_core.compare.arms import (
    GOLD,
    NO_DATA,
    ROLLOUT,
    UNTRAINED,
    WEIGHTED_SFT,
    ArmEntry,
    arm_names,
    arms,
    register,
    registered,
    unregister,
)
from drift_core.compare.markdown import reading_lines, render_markdown, table_markdown
from drift_core.compare.summary import aggregate
from drift_core.config import WeightsConfig
from drift_core.config.compare import CompareConfig
from tests.drift_core.compare.records import record

STOCK = ["reference", "gold-sft", "uniform", "rft", "drift", "drift-ext"]  # the default arms
REGISTERED = [*STOCK, "drift-r2", "drift-r3", "online-grpo"]  # every stock arm: the last three not in the default


def test_default_arms_in_table_order_with_the_reference_weights():
    got = arms(CompareConfig())
    assert [a.name for a in got] == STOCK
    by = {a.name: a for a in got}
    assert by["reference"].weights is None and (by["reference"].data, by["reference"].method) == (NO_DATA, UNTRAINED)
    assert by["gold-sft"].data == GOLD and by["gold-sft"].weights.scheme == "uniform"
    assert (by["drift"].weights.beta, by["drift"].weights.gamma) == (0.1, 0.9)  # the reference's values
    ext = by["drift-ext"].weights
    assert ext.scheme == "drift-ext" and ext.beta == "auto" and ext.all_fail_zero is True
    assert {by[a].data for a in ("uniform", "rft", "drift", "drift-ext")} == {ROLLOUT}
    assert {a.name for a in got if a.method == WEIGHTED_SFT} == set(STOCK[1:])
    assert by["drift-ext"].about == "drift with all_fail_zero=True, beta auto (ESS/n target 0.5)"


def test_arms_follow_the_config_order_and_values():
    got = arms(CompareConfig(arms=["drift", "reference"], drift_beta=0.5, drift_gamma=1.0))
    assert [a.name for a in got] == ["drift", "reference"]
    assert (got[0].weights.beta, got[0].weights.gamma) == (0.5, 1.0)
    assert got[0].about == "exp(R/beta) per prompt, gamma 1.0, beta 0.5 (the reference)"


def test_compare_config_rejects_unknown_arms_and_empty_seeds():
    with pytest.raises(ValueError, match="unknown arm ppo; the arms are reference, gold-sft, uniform, rft"):
        CompareConfig(arms=["ppo"])
    with pytest.raises(ValueError):
        CompareConfig(arms=[])
    with pytest.raises(ValueError):
        CompareConfig(seeds=[])


def test_help_texts_list_the_registry():
    from cli.commands.compare_cmd import COMPARE_HELP

    field_help = CompareConfig.model_fields["arms"].description
    for entry in registered():
        assert f"{entry.name} ({entry.help})" in field_help and f"{entry.name} ({entry.help})" in COMPARE_HELP


def test_an_entry_is_checked_when_made_and_registered():
    with pytest.raises(ValueError, match="data 'prompts'"):
        ArmEntry("x", "prompts", WEIGHTED_SFT, lambda c: WeightsConfig(), "x", "x")
    with pytest.raises(ValueError, match="method 'grpo'"):  # a new method is added to METHODS with its runner
        ArmEntry("x", ROLLOUT, "grpo", None, "x", "x")
    with pytest.raises(ValueError, match="a weighting is given exactly"):
        ArmEntry("x", ROLLOUT, WEIGHTED_SFT, None, "x", "x")
    with pytest.raises(ValueError, match="untrained arm reads no data"):
        ArmEntry("x", ROLLOUT, UNTRAINED, None, "x", "x")
    with pytest.raises(ValueError, match="already registered"):
        register(ArmEntry("drift", NO_DATA, UNTRAINED, None, "x", "x"))
    with pytest.raises(ValueError, match="'nope'"):
        register(ArmEntry("x", NO_DATA, UNTRAINED, None, "x", "x"), after="nope")
    with pytest.raises(ValueError, match="rounds 2: .* only for weighted SFT on a rollout"):
        ArmEntry("x", GOLD, WEIGHTED_SFT, lambda c: WeightsConfig(), "x", "x", rounds=2)
    with pytest.raises(ValueError, match="rounds 0"):
        ArmEntry("x", ROLLOUT, WEIGHTED_SFT, lambda c: WeightsConfig(), "x", "x", rounds=0)
    assert list(arm_names()) == REGISTERED  # nothing above was registered


@pytest.fixture
def rft_gamma_1():
    """An rft variant (solved trajectories, gamma 1), registered after rft for one test, then removed."""
    entry = register(ArmEntry("rft-g1", ROLLOUT, WEIGHTED_SFT, lambda c: WeightsConfig(scheme="rft", gamma=1.0),
                              "rft with gamma 1 (a turn-5 solve weighs as a turn-1 one)", "rft, gamma 1"),
                     after="rft")
    yield entry
    unregister(entry.name)


def test_a_new_arm_is_one_entry(rft_gamma_1):
    table_order = ["reference", "gold-sft", "uniform", "rft", "rft-g1", "drift", "drift-ext"]
    assert CompareConfig().arms == table_order  # in the default, where it was registered
    cfg = CompareConfig(arms=["drift", "rft-g1", "reference"])  # accepted by the config
    got = arms(cfg)
    assert [a.name for a in got] == ["drift", "rft-g1", "reference"]
    new = got[1]
    assert (new.data, new.method, new.weights) == (ROLLOUT, WEIGHTED_SFT, WeightsConfig(scheme="rft", gamma=1.0))

    recs = [record(a, s, m1, 0.9, t1=False) for s in (0, 1) for a, m1 in (("reference", 0.5), ("rft-g1", 0.6),
                                                                            ("drift", 0.7))]
    summary = aggregate(recs, cfg.arms, max_turns=2)
    lines = table_markdown(summary, "greedy").splitlines()
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| drift", "| rft-g1", "| reference"]
    assert lines[3].startswith("| rft-g1 | 0.600 ± 0.000 | 0.900 ± 0.000 |")
    assert "vs rft-g1 +0.100" in reading_lines(summary)[0]  # compared with, though not a reading arm itself
    page = render_markdown(summary, title="T", command="c", config_yaml="", about={a.name: a.about for a in got},
                           facts={})
    assert "- `rft-g1`: rft with gamma 1 (a turn-5 solve weighs as a turn-1 one)" in page


def test_the_stock_registry_is_back_after_a_test_added_an_arm():
    assert list(arm_names()) == REGISTERED
    with pytest.raises(ValueError):
        CompareConfig(arms=["rft-g1"])


def test_online_grpo_is_an_arm_of_its_own_method_and_not_default():
    from drift_core.compare.arms import METHODS, ONLINE_GRPO

    assert ONLINE_GRPO in METHODS and "online-grpo" not in CompareConfig().arms
    (arm,) = arms(CompareConfig(arms=["online-grpo"]))
    assert (arm.method, arm.data, arm.weights) == (ONLINE_GRPO, NO_DATA, None)


def test_rounds_arms_are_drift_with_rounds_and_not_default():
    """drift-r2 / drift-r3: the drift arm's weighting, 2 and 3 rounds of iterative DRIFT, read like drift."""
    cfg = CompareConfig(arms=["drift", "drift-r2", "drift-r3"], drift_beta=0.3)
    drift, r2, r3 = arms(cfg)
    assert (drift.rounds, r2.rounds, r3.rounds) == (1, 2, 3)
    assert r2.weights == r3.weights == drift.weights and r2.weights.beta == 0.3
    assert (r2.data, r2.method) == (ROLLOUT, WEIGHTED_SFT) and r2.reading
    assert not {"drift-r2", "drift-r3"} & set(CompareConfig().arms)
