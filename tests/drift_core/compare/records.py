"""Per-seed records as tasks/compare.py's run_arm returns them, for the summary, Markdown and output tests."""

from __future__ import annotations


def record(arm, seed, m1, m2, t1=True):
    f = {"multi@1": m1, "multi@2": m2, "correction_rate": 0.5, "repeat_share": 0.1}
    return {"arm": arm, "seed": seed, "greedy": f, "t1": dict(f) if t1 else None,
            "train_seconds": 10.0 + seed, "rollout_tokens": 1000 if arm != "reference" else 0}


def hidden_record(arm, seed, m1, m2, elim):
    """A record of a test set with hidden-option items: optimum@k 0.625 / 0.75 (same for every arm)."""
    f = {"multi@1": m1, "multi@2": m2, "correction_rate": 0.5, "repeat_share": 0.1, "elimination": elim,
         "optimum@1": 0.625, "optimum@2": 0.75, "optimum_share@1": m1 / 0.625, "optimum_share@2": m2 / 0.75}
    return {"arm": arm, "seed": seed, "greedy": f, "t1": dict(f), "train_seconds": 1.0, "rollout_tokens": 10}
