"""PNG figures: where the weight goes, accuracy by turn of two models or of every compared arm, multi@k by round
of iterative DRIFT, a figure against generated tokens (online GRPO's curve, the other arms' points), sweep heat
maps."""

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


def multi_at_k_by_arm(curves: dict[str, dict[str, Sequence[tuple[float | None, float | None]]]], out: str | Path,
                      title: str = "", optimum: Sequence[float] | None = None) -> Path:
    """multi@k by k for every arm, one panel per decoding (greedy, t1); error bars = std over seeds.

    curves: decoding -> arm -> [(mean, std) for k = 1..K]; optimum: the elimination optimum's multi@1..K
    (sets with hidden-option items), drawn as a dashed line in every panel.
    """
    panels = list(curves)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4), squeeze=False)
    for ax, dec in zip(axes[0], panels, strict=True):
        for i, (arm, pts) in enumerate(curves[dec].items()):
            ks = np.arange(1, len(pts) + 1) + (i - len(curves[dec]) / 2) * 0.03  # dodge overlapping bars
            mean = np.array([m if m is not None else np.nan for m, _ in pts], dtype=float)
            std = np.array([s if s is not None else 0.0 for _, s in pts], dtype=float)
            ax.errorbar(ks, mean, yerr=std, marker="o", capsize=3, label=arm)
        if optimum:
            ax.plot(np.arange(1, len(optimum) + 1), optimum, "k--", label="optimum (elimination)")
        ax.set_xlabel("turns allowed (k)")
        ax.set_ylabel("multi@k (share solved)")
        ax.set_xticks(np.arange(1, max(len(p) for p in curves[dec].values()) + 1))
        ax.set_title({"greedy": "greedy decoding", "t1": "sampled, T=1"}.get(dec, dec))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _save(fig, out)


def multi_at_k_by_round(series: dict[str, Sequence[tuple[int, float | None, float | None]]], out: str | Path,
                       title: str = "") -> Path:
    """multi@k by round of iterative DRIFT (docs/design.md §10, "Rounds"): one line per series (e.g.
    'multi@1', or 'drift-r3 multi@3' on a comparison), points (round, mean, std), error bars = std over seeds;
    round 0 is the reference where a series has it."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    rounds: set[int] = set()
    for name, pts in series.items():
        pts = sorted(pts)
        x = np.array([r for r, _, _ in pts], dtype=float)
        mean = np.array([m if m is not None else np.nan for _, m, _ in pts], dtype=float)
        std = np.array([s if s is not None else 0.0 for _, _, s in pts], dtype=float)
        ax.errorbar(x, mean, yerr=std, marker="o", capsize=3, label=name)
        rounds |= {r for r, _, _ in pts}
    ax.set_xticks(sorted(rounds))
    ax.set_xlabel("round (0 = the reference)")
    ax.set_ylabel("multi@k (share solved)")
    ax.set_ylim(0, 1)
    ax.set_title(title or "multi@k by round")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, out)


def score_by_tokens(curves: dict[str, Sequence[tuple[float, float | None, float | None]]],
                    points: dict[str, tuple[float, float | None, float | None]], out: str | Path, *,
                    ylabel: str, title: str = "", optimum: float | None = None) -> Path:
    """A figure against generated tokens (docs/design.md §10, "The answer"): each curve a line of points
    (tokens, mean, std), each point one marker (tokens, mean, std); error bars = std over seeds; the optimum a
    dashed horizontal line. A linear x axis: the arms span 0 (no generation) to a few rollouts' worth."""
    fig, ax = plt.subplots(figsize=(9, 4.2))
    for name, pts in curves.items():
        x = np.array([t for t, _, _ in pts], dtype=float)
        mean = np.array([m if m is not None else np.nan for _, m, _ in pts], dtype=float)
        std = np.array([s if s is not None else 0.0 for _, _, s in pts], dtype=float)
        ax.errorbar(x, mean, yerr=std, marker=".", capsize=2, linestyle="-", label=name)
    markers = "osD^v<>pPX*h"
    for i, (name, (t, m, sd)) in enumerate(points.items()):
        ax.errorbar([t], [np.nan if m is None else m], yerr=[sd or 0.0], marker=markers[i % len(markers)],
                    capsize=3, linestyle="none", label=name)
    if optimum is not None:
        ax.axhline(optimum, color="k", linestyle="--", label="optimum (elimination)")
    ax.set_xlabel("generated tokens (every token sampled for the arm)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.02)
    ax.set_title(title or f"{ylabel} against generated tokens", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))  # outside: the points sit everywhere
    return _save(fig, out)


def sweep_heatmap(values: dict[str, Sequence[Sequence[float | None]]], betas: Sequence[float],
                  gammas: Sequence[float], out: str | Path, title: str = "") -> Path:
    """One heat map per metric: rows beta, columns gamma, each cell annotated with its value.

    values: metric -> grid[beta index][gamma index].
    """
    fig, axes = plt.subplots(1, len(values), figsize=(4.5 * len(values), 0.6 * len(betas) + 2.5), squeeze=False)
    for ax, (metric, grid) in zip(axes[0], values.items(), strict=True):
        arr = np.array([[np.nan if v is None else v for v in row] for row in grid], dtype=float)
        im = ax.imshow(arr, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(gammas)), [f"{g:g}" for g in gammas])
        ax.set_yticks(range(len(betas)), [f"{b:g}" for b in betas])
        ax.set_xlabel("gamma")
        ax.set_ylabel("beta")
        ax.set_title(metric)
        for i in range(arr.shape[0]):
            for j in range(arr.shape[1]):
                if not np.isnan(arr[i, j]):
                    ax.text(j, i, f"{arr[i, j]:.3f}", ha="center", va="center", color="w", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.8)
    if title:
        fig.suptitle(title)
    return _save(fig, out)


def _save(fig, out: str | Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
