"""`drift compare` (the result table, flows/compare.py) and `drift sweep` (beta x gamma, flows/sweep.py)."""

from __future__ import annotations

import importlib
import json
import shlex
import sys
import time
from pathlib import Path

import typer
from pydantic import ValidationError

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from drift_core.compare.arms import arms_help
from drift_core.config.base import format_validation_error
from drift_core.config.compare import (
    ANSWER_COMPARE,
    ANSWER_PIPELINE,
    DEFAULT_PIPELINE,
    QUICK_COMPARE,
    QUICK_PIPELINE,
    QUICK_SWEEP,
    CompareConfig,
    SweepConfig,
    answer_output,
    split_overrides,
)
from drift_core.errors import DriftError
from drift_core.worlds import DEFAULT, WORLDS

QuickOpt = typer.Option(
    False, "--quick",
    help="CI size: a few prompts, 2 steps, the `test` tiny world; workspace <workspace>/quick, output inside it.",
)
RefreshOpt = typer.Option(False, "--refresh", help="Recompute every stage (ignore cached results).")
# The help lists the world registry (drift_core/worlds), so a registered world shows up in it.
WorldOpt = typer.Option(
    None, "--world",
    help=f"Tiny world to compare on (default: {DEFAULT}): "
    + "; ".join(f"{w.name} ({w.help}" + (f"; its table goes to {w.compare_output}" if w.compare_output else "") + ")"
                for w in WORLDS)
    + ". --output or compare.output overrides where the table goes.",
)


AnswerOpt = typer.Option(
    False, "--answer",
    help="The answer comparison (docs/design.md §10): every offline arm, drift-r2, drift-r3 and online-grpo (run "
    "to compare.online_token_multiple x one DRIFT round's generated tokens, its validation curve at "
    "checkpoints), 3 seeds, the lr grid; the page (with <page>_tokens.png and the DRIFT vs online GRPO section) "
    "goes beside the world's table as <table>_answer.md.",
)


def world_items(world: str | None, set_: list[str] | None, quick: bool = False, answer: bool = False) -> list[str]:
    """--world (and --answer) as the --set items they stand for, before the user's own (so theirs win). --quick
    keeps its output inside its workspace."""
    items: list[str] = []
    output = CompareConfig().output
    if world is not None:
        if world not in WORLDS:
            raise DriftError(f"--world {world!r}: use {' or '.join(WORLDS.names())}")
        entry = WORLDS.get(world)
        items.append(f"tiny_world.task={entry.name}")
        output = entry.compare_output or output
    if answer:
        items += ANSWER_COMPARE + ["compare.label=answer, quick size" if quick else "compare.label=answer"]
        items += [] if quick else ANSWER_PIPELINE  # --quick keeps its own tiny online batch
        output = answer_output(output)
    if not quick and (answer or (world is not None and WORLDS.get(world).compare_output)):
        items.append(f"compare.output={output}")
    return items + list(set_ or [])
JsonOpt = typer.Option(False, "--json", help="Print the summary as JSON.")


def _configs(section: str, model, config, set_, workspace, quick: bool, quick_section: list[str],
             output: Path | None = None):
    """(PipelineConfig, section config): quick presets first, so --set still overrides them; --output last."""
    items = DEFAULT_PIPELINE + (QUICK_PIPELINE + quick_section if quick else []) + list(set_ or [])
    rest, mine = split_overrides(items, section)
    cfg = resolve_config(config, rest, workspace)
    if quick and workspace is None:
        # Its own workspace: the quick run's `test` tiny world must never become the default run's world.
        cfg.workspace = str(Path(cfg.workspace) / "quick")
    if quick and "output" not in mine:
        mine["output"] = str(Path(cfg.workspace) / "results" / Path(model().output).name)
    try:
        sec = model.model_validate(mine)
    except ValidationError as err:
        raise DriftError(format_validation_error(err, f"--set {section}.*")) from None
    if output is not None:
        sec.output = str(output)
    return cfg, sec


def _start(workspace: str, quick: bool):
    import os

    from flows import defaults

    if quick:
        os.environ.setdefault("DRIFT_TINY_WORLD_SIZE", "test")  # seconds to build, not minutes
    defaults.apply(workspace)  # before prefect is imported
    return defaults.start_api_in_background()


# The help lists the arm registry (drift_core/compare/arms.py), so a registered arm shows up in it.
COMPARE_HELP = f"""The result table: every arm of `compare.arms` on one set of rollouts.

Every trained arm gets the same optimizer steps; each arm x seed is evaluated greedy and at T=1
on the test split. Writes compare.output (.md, .png, .json). Cached stages are reused on a rerun.
`--set compare.seeds=[0,1,2,3]` sets a compare field (`--set compare.arms=...` picks the arms
below, in table order); other `--set`s are pipeline sections.

Arms: {arms_help()}.
"""


@app.command("compare", help=COMPARE_HELP)
def compare_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    quick: bool = QuickOpt,
    output: Path | None = typer.Option(None, help="Markdown table to write (default: compare.output)."),
    refresh: bool = RefreshOpt,
    as_json: bool = JsonOpt,
    world: str | None = WorldOpt,
    answer: bool = AnswerOpt,
) -> None:
    """`drift compare` (help: COMPARE_HELP)."""
    own_output = output is not None or any(i.startswith("compare.output=") for i in set_ or [])
    set_ = world_items(world, set_, quick, answer)
    cfg, cmp_cfg = _configs("compare", CompareConfig, config, set_, workspace, quick, QUICK_COMPARE, output=output)
    if quick and answer and not own_output:  # the quick answer page, inside the quick workspace
        cmp_cfg.output = answer_output(cmp_cfg.output)
    # the table without the per-arm notes below it
    _run_flow("compare", cfg, cmp_cfg, quick=quick, refresh=refresh, as_json=as_json,
              preview=lambda text: text.split("## Arms")[0])


@app.command("sweep")
def sweep_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    quick: bool = QuickOpt,
    output: Path | None = typer.Option(None, help="Markdown grid to write (default: sweep.output)."),
    refresh: bool = RefreshOpt,
    as_json: bool = JsonOpt,
) -> None:
    """beta x gamma sensitivity of DRIFT: one mapped Prefect task per grid point, a heat map of multi@k.

    `--set sweep.betas=[0.1,1.0] --set sweep.gammas=[0.5,0.9]` sets the grid.
    """
    cfg, sweep_cfg = _configs("sweep", SweepConfig, config, set_, workspace, quick, QUICK_SWEEP, output=output)
    _run_flow("sweep", cfg, sweep_cfg, quick=quick, refresh=refresh, as_json=as_json, preview=lambda text: text)


def _run_flow(name: str, cfg, section_cfg, *, quick: bool, refresh: bool, as_json: bool, preview) -> None:
    """Run the flow flows.<name>.drift_<name>, then print its Markdown file through `preview` (or the
    result as JSON, without the per-seed records) and where everything went."""
    t0 = time.perf_counter()
    api = _start(cfg.workspace, quick)
    run = getattr(importlib.import_module(f"flows.{name}"), f"drift_{name}")  # imported while the API starts
    api.join()
    result = run(cfg, section_cfg, command=_command_line(), refresh=refresh)
    result["seconds"] = round(time.perf_counter() - t0, 1)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in result.items() if k != "records"}, default=str))
        return
    typer.echo(preview(Path(result["files"][0]).read_text()))
    typer.echo(f"wrote {', '.join(result['files'])} in {result['seconds']} s; MLflow run {result['mlflow_run_id']}")


def _command_line() -> str:
    """The command as typed, with the program shown as `drift` (what a reader reruns)."""
    return shlex.join(["drift", *sys.argv[1:]])
