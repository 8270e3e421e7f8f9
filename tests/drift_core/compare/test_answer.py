"""drift_core/compare/answer.py: DRIFT against online GRPO, each verdict of the rule on constructed records, and
the page's section and tokens plot (drift_core/compare/output.py)."""

from __future__ import annotations

import pytest

from drift_core.compare.answer import (
    ABOVE,
    BELOW,
    WITHIN,
    Row,
    answer_markdown,
    answer_rows,
    curve,
    noise_band,
    verdict,
)
from drift_core.compare.arms import arm_names
from drift_core.compare.output import write_results
from drift_core.compare.summary import Stat, aggregate
from tests.drift_core.compare.records import hidden_record, record


def online(seed, m1, m2, tokens=5000, gen=40.0, train=60.0, points=((0, 0.3), (2500, 0.5), (5000, 0.6))):
    r = record("online-grpo", seed, m1, m2) | {"rollout_tokens": tokens, "generation_seconds": gen,
                                                "train_seconds": train, "test_problems": 400}
    r["online"] = {"token_budget": 5000, "stopped_by": "token_budget", "steps": 12, "checkpoint_seconds": 3.0,
                   "checkpoints": [{"step": i, "generated_tokens": t + seed, "seconds": float(i),
                                    "multi@2": v + 0.01 * seed} for i, (t, v) in enumerate(points)]}
    return r


def drift_arm(arm, seed, m2, tokens=1000, gen=4.0, train=6.0):
    return record(arm, seed, 0.4, m2) | {"rollout_tokens": tokens, "generation_seconds": gen, "train_seconds": train,
                                         "test_problems": 400}


def test_the_rule_gives_each_verdict_on_plain_values():
    assert verdict(0.02, 0.05) == WITHIN and verdict(-0.05, 0.05) == WITHIN
    assert verdict(0.06, 0.05) == ABOVE and verdict(-0.06, 0.05) == BELOW
    # noise: the larger of Wilson's half-width (n = 400, p = 0.5: about 0.049) and 2 x the larger seed std
    assert noise_band(Stat(0.5, 0.0, 3), Stat(0.5, 0.0, 3), 400) == pytest.approx(0.049, abs=0.001)
    assert noise_band(Stat(0.5, 0.04, 3), Stat(0.5, 0.01, 3), 400) == pytest.approx(0.08)


@pytest.mark.parametrize(("drift_m", "expected"), [(0.60, WITHIN), (0.75, ABOVE), (0.45, BELOW)])
def test_each_verdict_from_constructed_records(drift_m, expected):
    recs = [online(s, 0.5, 0.6) for s in (0, 1, 2)] + [drift_arm("drift-r2", s, drift_m) for s in (0, 1, 2)]
    (row,) = answer_rows(aggregate(recs, list(arm_names()), max_turns=2))
    assert row.arm == "drift-r2" and row.verdict == expected
    assert row.diff == pytest.approx(drift_m - 0.6)
    assert row.token_share == pytest.approx(1000 / 5000) and row.seconds_share == pytest.approx(10 / 100)


def test_section_states_the_rule_the_numbers_and_the_online_runs():
    recs = [online(s, 0.5, 0.6) for s in (0, 1)] + [drift_arm("drift", s, 0.45) for s in (0, 1)] + [
        drift_arm("drift-r3", s, 0.62, tokens=3000) for s in (0, 1)]
    text = "\n".join(answer_markdown(aggregate(recs, list(arm_names()), max_turns=2), "p_tokens.png", beta=0.0))
    assert "## DRIFT vs online GRPO" in text and "Wilson" in text and "2 x the larger seed std" in text
    assert ("`drift`: greedy multi@2 0.450 ± 0.000 vs online GRPO 0.600 ± 0.000: difference -0.150, noise band "
            "±0.049, so it does not reach online GRPO's multi@2 within noise") in text
    assert "`drift-r3`" in text and "at 0.60 of online GRPO's generated tokens (3,000 vs 5,000)" in text
    assert "On this run `drift-r3` reaches online GRPO's greedy multi@2 within noise" in text
    assert "stopped by token_budget (budget 5,000)" in text and "KL beta is fixed at 0" in text
    assert "validation" in text and "![greedy multi@2 against generated tokens](p_tokens.png)" in text


def test_headline_when_no_variant_reaches_it():
    recs = [online(s, 0.5, 0.9) for s in (0, 1)] + [drift_arm("drift", s, 0.3) for s in (0, 1)]
    text = "\n".join(answer_markdown(aggregate(recs, list(arm_names()), max_turns=2)))
    assert "no DRIFT variant (`drift`) reaches online GRPO's greedy multi@2 within noise" in text


def test_no_online_arm_no_section():
    recs = [drift_arm("drift", s, 0.3) for s in (0, 1)]
    assert answer_markdown(aggregate(recs, list(arm_names()), max_turns=2)) == []


def test_curve_is_mean_and_std_per_checkpoint_over_seeds():
    recs = [online(s, 0.5, 0.6) for s in (0, 1)]
    points = curve(recs, "multi@2")
    assert [t.mean for t, _ in points] == [0.5, 2500.5, 5000.5]
    assert points[1][1].mean == pytest.approx(0.505) and points[1][1].std == pytest.approx(0.00707, abs=1e-4)


def test_row_shares_without_online_cost_are_missing():
    row = Row("drift", Stat(0.5, 0.0, 1), Stat(0.5, 0.0, 1), 0.05, 10.0, 0.0, 1.0, None)
    assert row.token_share is None and row.seconds_share is None and row.verdict == WITHIN


def test_page_gets_the_tokens_plot_and_the_section(tmp_path):
    recs = [hidden_record("reference", s, 0.3, 0.4, 0.2) for s in (0, 1)]
    recs += [online(s, 0.5, 0.6) | {"greedy": hidden_record("x", s, 0.5, 0.6, 0.5)["greedy"]} for s in (0, 1)]
    recs += [drift_arm("drift", s, 0.55) | {"greedy": hidden_record("x", s, 0.45, 0.55, 0.5)["greedy"]}
             for s in (0, 1)]
    summary = aggregate(recs, list(arm_names()), max_turns=2)
    files = write_results(summary, tmp_path / "answer.md", title="T", command="drift compare --answer",
                          config_yaml="a: 1\n", about={}, facts={}, online_beta=0.0)
    png = tmp_path / "answer_tokens.png"
    assert png in files and png.read_bytes()[:4] == b"\x89PNG"
    text = (tmp_path / "answer.md").read_text()
    assert "## DRIFT vs online GRPO" in text and "](answer_tokens.png)" in text
    # without the online arm there is no tokens plot
    plain = aggregate(recs[:2] + recs[4:], list(arm_names()), max_turns=2)
    files = write_results(plain, tmp_path / "plain.md", title="T", command="c", config_yaml="", about={}, facts={})
    assert not (tmp_path / "plain_tokens.png").exists() and len(files) == 3
