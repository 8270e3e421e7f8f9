"""PNG figures for the tracking UI: where the weight goes, and accuracy by turn of two models."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def weight_distribution(weights: Sequence[float], solved: Sequence[bool], out: str | Path, title: str = "") -> Path:
    """Histogram of per-trajectory weights on a log axis, successes and failures stacked.

    Shows the known failure mode of small beta: all-fail prompts keep weight ~1 on wrong answers.
    """
    w = np.asarray(weights, dtype=float)
    ok = np.asarray(solved, dtype=bool)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    pos = w[w > 0]
    lo = max(pos.min() if pos.size else 1e-6, 1e-6)
    hi = max(w.max() if w.size else 1.0, lo * 10)
    bins = np.logspace(np.log10(lo), np.log10(hi), 30)
    ax.hist([np.clip(w[ok], lo, None), np.clip(w[~ok], lo, None)], bins=bins, stacked=True,
            label=["solved", "not solved"], color=["tab:green", "tab:red"])
    ax.set_xscale("log")
    ax.set_xlabel("weight (log scale; zeros drawn at the left edge)")
    ax.set_ylabel("trajectories")
    share = w[ok].sum() / w.sum() if w.sum() > 0 else float("nan")
    ax.set_title(title or f"weight distribution (success weight share {share:.2f})")
    ax.legend()
    return _save(fig, out)


def accuracy_by_turn(curves: dict[str, Sequence[float]], out: str | Path, title: str = "") -> Path:
    """multi@k for k = 1..K, one line per model (e.g. reference vs candidate)."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in curves.items():
        ks = np.arange(1, len(values) + 1)
        ax.plot(ks, values, marker="o", label=name)
    ax.set_xlabel("turns allowed (k)")
    ax.set_ylabel("multi@k (share solved)")
    ax.set_ylim(0, 1)
    ax.set_title(title or "accuracy by turn")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, out)


def _save(fig, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
