"""`drift tiny-world`: build the self-made reference policy and prompt splits (docs/design.md §2)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.app import app
from drift_core.errors import DriftError
from drift_core.worlds import DEFAULT, WORLDS


@app.command("tiny-world")
def tiny_world_cmd(
    out: Path = typer.Option(..., "--out", "-o", help="Directory to build the tiny world into."),
    seed: int = typer.Option(0, help="Seed of splits, data mixture and weights (same seed, same weights)."),
    size: str = typer.Option("default", help="default (the reference, a few minutes) | test (seconds)."),
    # The help lists the world registry (drift_core/worlds), so a registered world shows up in it.
    task: str = typer.Option(DEFAULT, help=" | ".join(f"{w.name} ({w.help})" for w in WORLDS) + "."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Build from scratch, offline: tokenizer, Llama model, prompt splits, and a measured card."""
    from drift_core.tiny_world import build, read_card

    if size not in ("default", "test"):
        raise DriftError(f"--size must be default or test, got '{size}'")
    if task not in WORLDS:
        raise DriftError(f"--task must be {' or '.join(WORLDS.names())}, got '{task}'")
    build(out, seed=seed, size=size, task=task, progress=not quiet)
    print_card(read_card(out) or {}, out)


def print_card(card: dict, out: Path) -> None:
    g, s = card["metrics"]["greedy"], card["metrics"]["sampled_t1"]
    t = Table(title=f"tiny world {card.get('task', DEFAULT)} {out} (size {card['size']}, seed {card['seed']}, "
                    f"test split {card['splits']['test']})")
    t.add_column("metric")
    t.add_column("greedy", justify="right")
    t.add_column("sampled T=1", justify="right")
    keys = sorted((k for k in g if k.startswith("multi@")), key=lambda k: int(k.split("@")[1]))
    for key in [*keys, "malformed_share", "repeated_after_feedback_share", "mean_turns"]:
        t.add_row(key, f"{g[key]:.3f}", f"{s[key]:.3f}")
    if "all_fail_share" in s:
        t.add_row(f"all-fail share (n={s['all_fail_n']}, {s.get('all_fail_split', 'test')})", "",
                  f"{s['all_fail_share']:.3f}")
    Console().print(t)
    Console().print(
        f"{card['model']['architecture']}, {card['model']['parameters']:,} parameters; "
        f"built in {card['build_seconds']:.0f} s. Card: {out / 'README.md'}"
    )
