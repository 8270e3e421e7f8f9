"""drift_core/compare/cost.py: every arm's cost in the same units, from its stages' metrics."""

from __future__ import annotations

import pytest

from drift_core.compare.cost import GIB, Cost, of_online, of_rollout, of_training


def test_rounds_add_up_and_keep_the_highest_peak():
    rollout = of_rollout({"seconds": 3.0, "peak_rss_bytes": 2 * GIB}, tokens=1000)
    train = of_training({"seconds": 5.0, "supervised_tokens": 400, "peak_rss_bytes": GIB})
    one_round = rollout + train
    assert one_round == Cost(1000, 400, 3.0, 5.0, 2 * GIB)
    two = one_round + of_rollout({"seconds": 1.0}, 10) + of_training({"seconds": 1.0, "supervised_tokens": 4})
    assert two.record() == {"rollout_tokens": 1010, "trained_tokens": 404, "generation_seconds": 4.0,
                            "train_seconds": 6.0, "peak_rss_gib": 2.0}
    assert Cost().record()["peak_rss_gib"] is None  # no stage of its own (the reference): no peak shown


def test_online_sampling_is_generation_and_the_rest_training():
    c = of_online({"seconds": 10.0, "generation_seconds": 7.5, "generated_tokens": 300, "trained_tokens": 120,
                   "peak_rss_bytes": GIB // 2})
    assert (c.generated_tokens, c.trained_tokens, c.generation_seconds) == (300, 120, 7.5)
    assert c.train_seconds == pytest.approx(2.5) and c.record()["peak_rss_gib"] == 0.5
