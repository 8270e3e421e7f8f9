"""The beta x gamma sweep of one weighting scheme (`drift sweep`): its grid points, Markdown grids and files."""

from __future__ import annotations

from pathlib import Path

from drift_core.config.compare import SweepConfig
from drift_core.config.weights import WeightsConfig


def sweep_grid(cfg: SweepConfig) -> list[tuple[str, WeightsConfig]]:
    """(label, weighting) per grid point, betas outer, gammas inner."""
    return [(f"b{b:g}-g{g:g}", WeightsConfig(scheme=cfg.scheme, beta=b, gamma=g))
            for b in cfg.betas for g in cfg.gammas]


def sweep_markdown(values: dict[tuple[float, float], dict], betas: list[float], gammas: list[float],
                   metrics: list[str], *, title: str, command: str, plot: str | None = None) -> str:
    """One grid per metric: rows beta, columns gamma."""
    parts = [f"# {title}", "", "Reproduce:", "", "```bash", command, "```", ""]
    for m in metrics:
        parts += [f"## {m}", "", "| beta \\ gamma | " + " | ".join(f"{g:g}" for g in gammas) + " |",
                  "|---|" + "---:|" * len(gammas)]
        for b in betas:
            cells = []
            for g in gammas:
                v = values.get((b, g), {}).get(m)
                cells.append("–" if v is None else f"{v:.3f}")
            parts.append(f"| {b:g} | " + " | ".join(cells) + " |")
        parts.append("")
    if plot:
        parts += [f"![sweep]({plot})", ""]
    return "\n".join(parts)


def write_sweep(cfg: SweepConfig, points: list[tuple[float, float]], weights_metrics: list[dict],
                eval_metrics: list[dict], max_turns: int, *, command: str, seconds: float) -> list[Path]:
    """The sweep's Markdown grids (multi@1, multi@K, mean ESS/n, weight on all-fail prompts) and heat map."""
    from drift_core.plots import sweep_heatmap

    top = f"multi@{max_turns}"
    values: dict[tuple[float, float], dict] = {}
    for (b, g), wm, em in zip(points, weights_metrics, eval_metrics, strict=True):
        values[(b, g)] = {"multi@1": em.get("multi@1"), top: em.get(top), "mean ESS/n": wm.get("mean_ess_fraction"),
                          "weight on all-fail prompts": wm.get("all_fail_weight_share")}
    out = Path(cfg.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    png = out.with_suffix(".png")
    shown = ["multi@1", top]
    sweep_heatmap({m: [[values[(b, g)][m] for g in cfg.gammas] for b in cfg.betas] for m in shown},
                  cfg.betas, cfg.gammas, png, title=f"{cfg.scheme}: greedy accuracy by beta and gamma")
    title = f"beta x gamma sweep of `{cfg.scheme}` (seed {cfg.seed}, {cfg.max_steps} steps per point)"
    text = sweep_markdown(values, cfg.betas, cfg.gammas, [*shown, "mean ESS/n", "weight on all-fail prompts"],
                          title=title, command=command, plot=png.name)
    text += f"\nGreedy decoding on the test split; one training seed per point. Wall time {seconds / 60:.1f} min.\n"
    out.write_text(text)
    return [out, png]
